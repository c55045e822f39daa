"""Reading returns: the staff queue, one return with what its pages need, an
order's returns for the status page."""

from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _

from returns.models import OPEN, RS, Return, ReturnLine

# The queue's tabs: (label, statuses), in the order work flows.
QUEUES = {
    "decide": (_("To decide"), (RS.REQUESTED,)),
    "receive": (_("Awaiting the parcel"), (RS.APPROVED,)),
    "inspect": (_("To inspect"), (RS.RECEIVED,)),
    "refund": (_("To refund"), (RS.INSPECTED,)),
    "done": (
        _("Finished"),
        (RS.REFUNDED, RS.EXCHANGED, RS.CLOSED, RS.REJECTED, RS.CANCELLED),
    ),
}


def return_queue(*, show: str):
    """Returns in one tab of the queue, oldest first while open (the partial index
    ``return_open_queue``), the latest finished first (``return_finished_recent``)."""
    statuses = QUEUES[show][1]
    rows = Return.objects.filter(status__in=statuses).select_related("order__customer")
    if show == "done":
        return rows.filter(finished_at__isnull=False).order_by("-finished_at", "-pk")
    return rows.order_by("requested_at", "pk")


def queue_counts() -> dict[str, int]:
    """How many open returns wait in each tab (one query over the open index)."""
    counts = dict(
        Return.objects.filter(status__in=OPEN)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        key: sum(counts.get(s, 0) for s in statuses)
        for key, (_label, statuses) in QUEUES.items()
        if key != "done"
    }


def return_detail(pk: int) -> Return:
    """One return with its order, customer, lines and their products (404 if none)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Return.objects.select_related(
            "order__customer",
            "opened_by",
            "decided_by",
            "received_by",
            "inspected_by",
            "override_by",
            "replacement_order",
        ).prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related(
                    "order_line__product", "warehouse"
                ),
            )
        ),
        pk=pk,
    )


def returns_of(order) -> list[Return]:
    """An order's returns, newest first, with their lines (for the status page)."""
    return list(
        order.returns.select_related("replacement_order")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line")),
            "photos",
        )
        .order_by("-requested_at", "-pk")
    )


def awaited_of(customer_id: int) -> list[Return]:
    """The customer's approved returns (awaiting their parcel), oldest first."""
    return list(
        Return.objects.filter(order__customer=customer_id, status=RS.APPROVED)
        .select_related("order")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
        )
        .order_by("pk")[:50]
    )

"""Read-only queries over orders, shaped for the pages that show them."""

from django.db.models import Count
from django.utils.translation import gettext as _

from orders.conditions import second_check_waived
from orders.models import Order, OrderStatus


def order_status_counts() -> list[tuple[str, str, int]]:
    """Every lifecycle state with its label and how many orders are in it, in one query."""
    counts = dict(
        Order.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return [
        (value, label, counts.get(value, 0)) for value, label in OrderStatus.choices
    ]


def verification_summary(order: Order) -> str:
    """Where the order stands in the four-eyes check, in one sentence for staff."""
    if order.verified_by_id:
        return _("Verified by %(who)s.") % {"who": order.verified_by.get_username()}
    if order.first_checked_by_id:
        return _(
            "First check by %(who)s; waiting for a second check by someone else."
        ) % {"who": order.first_checked_by.get_username()}
    if order.status == OrderStatus.PLACED and second_check_waived(order):
        return _("Not checked yet; one check is enough for an order of this value.")
    if order.status == OrderStatus.PLACED:
        return _(
            "Not checked yet; needs a first check and a second check by someone else."
        )
    return _("Not verified.")


def backordered_orders():
    """Backordered orders, oldest first, with the lines that wait for stock."""
    from django.db.models import Prefetch

    from orders.models import OrderLine

    return (
        Order.objects.filter(status=OrderStatus.BACKORDERED)
        .select_related("customer", "split_from")
        .prefetch_related(
            Prefetch(
                "lines", queryset=OrderLine.objects.order_by("pk"), to_attr="all_lines"
            )
        )
        .order_by("status_changed_at", "pk")
    )


def backorder_summary() -> dict:
    """How many orders wait for stock and since when the oldest does."""
    from django.db.models import Min

    data = Order.objects.filter(status=OrderStatus.BACKORDERED).aggregate(
        n=Count("pk"), oldest=Min("status_changed_at")
    )
    return {"count": data["n"], "oldest": data["oldest"]}

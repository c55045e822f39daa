"""Read-only queries over orders for the staff pages: counts, the order list, work queues, one order."""

import re
from decimal import Decimal

from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _q

from orders.core.models import Order, OrderStatus
from orders.customer.selectors import (
    customer_queues,
    open_problems,
    unanswered_messages,
)


def order_status_counts() -> list[tuple[str, str, int]]:
    """Every lifecycle state with its label and how many orders are in it, in one query."""
    counts = dict(
        Order.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return [
        (value, label, counts.get(value, 0)) for value, label in OrderStatus.choices
    ]


# ------------------------------------------------------------------------------
# The staff order list
# ------------------------------------------------------------------------------
ORDER_SORTS = {
    "number": "number",
    "placed": "placed_at",
    "customer": "customer__name",
    "status": "status",
    "total": "total",
    "ship_by": "ship_by",
}
ZERO_MONEY = Decimal("0.00")


ORDER_NUMBER = re.compile(r"[A-Z]+-[A-Z0-9-]+")


# Up to this many matches are handed to the order query as a list of ids: the
# database then reads those orders by key and sorts them, instead of walking the
# whole list in order hoping to meet matches (slow when they are rare).
SEARCH_ID_LIST = 5_000
# Customers have several orders each: this many customers' orders are still few.
FEW_CUSTOMERS = 300


def _matching(queryset, field: str, *, few: int):
    """A condition on ``field`` for the ids ``queryset`` yields, and whether they
    are few (at most ``few``: then the orders are read by key and sorted). Up to
    ``SEARCH_ID_LIST`` ids go as a plain list, more as the subquery; when they are
    many, walking the list's own order finds a page of them quickly."""
    from django.db.models import Q

    ids = list(queryset[: SEARCH_ID_LIST + 1])
    if len(ids) <= SEARCH_ID_LIST:
        return Q(**{f"{field}__in": ids}), len(ids) <= few
    return Q(**{f"{field}__in": queryset}), False


def _search(term: str):
    """The one condition for what a person typed, answerable from an index, and
    whether it matches few orders (see ``order_list``).

    An e-mail address matches customers; otherwise the first kind that exists
    wins, each an exact indexed lookup: an order number, a SKU, a tracking
    number; anything else is a fragment of a customer's name (a trigram index
    on PostgreSQL). One condition, never an OR across tables (which makes the
    database scan every order).
    """
    from django.db.models import Q

    from orders.core.models import OrderLine
    from orders.customer.models import Customer
    from orders.fulfilment.models import Shipment

    if "@" in term:
        return _matching(
            Customer.objects.filter(email__iexact=term).values_list("pk", flat=True),
            "customer",
            few=FEW_CUSTOMERS,
        )
    number = term.upper()
    if ORDER_NUMBER.fullmatch(number) and Order.objects.filter(number=number).exists():
        return Q(number=number), True
    lines = OrderLine.objects.filter(sku=number).values_list("order_id", flat=True)
    if lines.exists():
        return _matching(lines.distinct().order_by(), "pk", few=SEARCH_ID_LIST)
    parcels = Shipment.objects.filter(tracking_number=term)
    if parcels.exists():
        return _matching(
            parcels.values_list("order_id", flat=True), "pk", few=SEARCH_ID_LIST
        )
    return _matching(
        Customer.objects.filter(name__icontains=term)
        .values_list("pk", flat=True)
        .order_by(),
        "customer",
        few=FEW_CUSTOMERS,
    )


def order_list(
    *,
    search: str = "",
    statuses: list[str] | None = None,
    channel: str = "",
    placed_from=None,
    placed_to=None,
    warehouse_id: int | None = None,
    overdue: bool = False,
    payment: str = "",
    attention: str = "",
    queue: str = "",
    owner=None,
    sort: str = "-placed",
):
    """Orders for the staff list, filtered and sorted, one row per order, customer joined.

    Every filter is a plain condition or an EXISTS subquery, so the page costs the
    same few queries at any page size and stays index-friendly on large tables.
    ``owner``: a user (their open orders) or "nobody" (orders no one owns).
    """
    from django.db.models import BooleanField, Case, Exists, OuterRef, Value, When
    from django.utils import timezone

    from orders.core.models import OrderLineAllocation
    from orders.fulfilment.models import Shipment

    qs = Order.objects.select_related("customer").annotate(
        # A packed order with a parcel already gone is partly shipped; the parcel
        # is looked up for packed orders only (never for the rows a deep page skips).
        partly_shipped=Case(
            When(
                status=OrderStatus.PACKED,
                then=Exists(Shipment.objects.filter(order=OuterRef("pk"))),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    if queue:
        qs = qs.filter(_queues()[queue][1])
    if owner == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    elif owner is not None:  # a user: their orders still open
        qs = qs.filter(assigned_to=owner).exclude(status__in=OrderStatus.FINISHED)
    if channel:
        qs = qs.filter(channel=channel)
    if placed_from:
        qs = qs.filter(placed_at__date__gte=placed_from)
    if placed_to:
        qs = qs.filter(placed_at__date__lte=placed_to)
    if warehouse_id:
        qs = qs.filter(
            Exists(
                OrderLineAllocation.objects.filter(
                    line__order=OuterRef("pk"), stock_item__warehouse_id=warehouse_id
                )
            )
        )
    if overdue:
        qs = qs.filter(
            ship_by__lt=timezone.localdate(), status__in=OrderStatus.NOT_SHIPPED
        )
    if attention == "problem":
        qs = qs.filter(Exists(open_problems().filter(order=OuterRef("pk"))))
    elif attention == "reply":
        qs = qs.filter(Exists(unanswered_messages().filter(order=OuterRef("pk"))))
    if payment == "paid":
        qs = qs.filter(amount_held__gte=F("total"))
    elif payment == "unpaid":  # the partial index order_payment_not_covered
        qs = qs.filter(amount_held__lt=F("total")).exclude(status=OrderStatus.CANCELLED)
    term, few = search.strip(), False
    if term:
        condition, few = _search(term)
        qs = qs.filter(condition)
    field = ORDER_SORTS.get(sort.lstrip("-"), "placed_at")
    # A few matching orders are read by key and sorted; the sort column wrapped
    # in COALESCE keeps the planner from walking its whole index instead,
    # hoping to meet them.
    key = Coalesce(F(field), F(field)) if few else F(field)
    key = key.desc() if sort.startswith("-") else key.asc()
    return qs.order_by(key, "-pk")


def _queues() -> dict[str, tuple]:
    """The work queues: key -> (label, which orders). The dashboard counts each
    and links to the order list filtered by the same condition (``queue=key``),
    so a card always opens exactly the orders it counts."""
    from django.db.models import Q
    from django.utils import timezone

    S = OrderStatus
    return {
        "to_verify": (
            _q("To check"),
            Q(status=S.PLACED, first_checked_by__isnull=True),
        ),
        "second_check": (
            _q("Awaiting second check"),
            Q(status=S.PLACED, first_checked_by__isnull=False),
        ),
        "inventory": (_q("Inventory check"), Q(status=S.VERIFIED)),
        "backordered": (_q("Backordered"), Q(status=S.BACKORDERED)),
        "payment": (_q("Awaiting payment"), Q(status=S.ALLOCATED)),
        "to_pick": (_q("Ready to pick"), Q(status=S.PAID)),
        "to_pack": (_q("To pack"), Q(status=S.PICKING)),
        "to_ship": (_q("To ship"), Q(status=S.PACKED)),
        "on_hold": (_q("On hold"), Q(status=S.ON_HOLD)),
        "overdue": (
            _q("Past ship-by date"),
            Q(ship_by__lt=timezone.localdate(), status__in=S.NOT_SHIPPED),
        ),
    }


def queue_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _c) in _queues().items()]


def work_queues() -> list[dict]:
    """The dashboard's queues: how many orders wait in each and since when, in one query.

    Each queue links to the order list filtered by the same condition.
    """
    from django.db.models import Min, Q
    from django.utils import timezone

    S = OrderStatus
    queues = [
        (key, label, condition, {"queue": key})
        for key, (label, condition) in _queues().items()
    ]
    aggregates = {}
    for key, _label, condition, _params in queues:
        aggregates[f"{key}_n"] = Count("pk", filter=condition)
        aggregates[f"{key}_oldest"] = Min("status_changed_at", filter=condition)
    # Every queue is about open orders: read those alone (the status index), so
    # the dashboard costs the same at a thousand orders and at ten million.
    data = Order.objects.filter(status__in=S.NOT_SHIPPED).aggregate(**aggregates)
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    data |= Order.objects.filter(
        Q(placed_at__gte=start) | Q(shipped_at__gte=start) | Q(completed_at__gte=start)
    ).aggregate(
        placed_today=Count("pk", filter=Q(placed_at__gte=start)),
        shipped_today=Count("pk", filter=Q(shipped_at__gte=start)),
        completed_today=Count("pk", filter=Q(completed_at__gte=start)),
    )
    rows = [
        {
            "key": key,
            "label": label,
            "count": data[f"{key}_n"],
            "oldest": data[f"{key}_oldest"],
            "params": params,
        }
        for key, label, _condition, params in queues
    ]
    # What customers wait for: problems to resolve, messages to answer.
    rows += customer_queues()
    throughput = {
        k: data[k] for k in ("placed_today", "shipped_today", "completed_today")
    }
    return rows, throughput


def order_detail(*, number: str) -> Order:
    """One order with everything its staff page shows, in a fixed number of queries."""
    from django.db.models import Prefetch
    from django.shortcuts import get_object_or_404

    from orders.core.models import OrderLine
    from orders.events.models import OrderEvent

    return get_object_or_404(
        Order.objects.select_related(
            "customer", "first_checked_by", "verified_by", "split_from", "assigned_to"
        ).prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by("pk")
                .select_related("product")
                .prefetch_related("allocations__stock_item__warehouse"),
            ),
            "payments",
            "refunds",
            "shipments__lines__order_line",
            "discounts__code",
            "invoices",
            "notes__author",
            "messages__staff_author",
            "issues",
            "verification_issues__found_by",
            "delays__cause",
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related("actor").order_by(
                    "-created_at", "-pk"
                ),
            ),
        ),
        number=number,
    )


def orders_by_number(numbers: list[str]) -> tuple[list[Order], list[str]]:
    """The orders named (in the order given, each once) and the numbers not found."""
    wanted = list(dict.fromkeys(n.strip().upper() for n in numbers if n.strip()))
    found = {
        o.number: o
        for o in Order.objects.filter(number__in=wanted).select_related("customer")
    }
    return [found[n] for n in wanted if n in found], [
        n for n in wanted if n not in found
    ]

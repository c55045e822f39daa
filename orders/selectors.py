"""Read-only queries over orders, shaped for the pages that show them."""

from decimal import Decimal

from django.db.models import Count, F, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _q

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
CLOSED = [
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
]


def _search(term: str):
    """One condition per kind of thing a person types, each answerable from an index.

    An e-mail address matches customers only; anything else matches an order
    number, a customer's name, a SKU or a tracking number. Matching ids are
    looked up in the small tables first, so the orders table is never scanned
    row by row.
    """
    from django.db.models import Q

    from orders.models import Customer, OrderLine, Shipment

    if "@" in term:
        return Q(customer__in=Customer.objects.filter(email__iexact=term).values("pk"))
    return (
        Q(number=term.upper())
        | Q(customer__in=Customer.objects.filter(name__icontains=term).values("pk"))
        | Q(pk__in=OrderLine.objects.filter(sku=term.upper()).values("order_id"))
        | Q(pk__in=Shipment.objects.filter(tracking_number=term).values("order_id"))
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
    sort: str = "-placed",
):
    """Orders for the staff list, filtered and sorted, one row per order, customer joined.

    Every filter is a plain condition or an EXISTS subquery, so the page costs the
    same few queries at any page size and stays index-friendly on large tables.
    """
    from django.db.models import Exists, OuterRef, Sum, Value
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from orders.models import OrderLineAllocation, Payment, Shipment

    qs = Order.objects.select_related("customer").annotate(
        # A packed order with a parcel already gone is partly shipped.
        has_shipments=Exists(Shipment.objects.filter(order=OuterRef("pk")))
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
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
        qs = qs.filter(ship_by__lt=timezone.localdate()).exclude(status__in=CLOSED)
    if payment in ("paid", "unpaid"):
        held = (
            Payment.objects.filter(order=OuterRef("pk"))
            .values("order")
            .annotate(v=Sum("amount_captured") - Sum("amount_refunded"))
            .values("v")
        )
        qs = qs.annotate(held=Coalesce(Subquery(held), Value(ZERO_MONEY)))
        qs = (
            qs.filter(held__gte=F("total"))
            if payment == "paid"
            else qs.filter(held__lt=F("total"))
        )
    term = search.strip()
    if term:
        qs = qs.filter(_search(term))
    field = ORDER_SORTS.get(sort.lstrip("-"), "placed_at")
    return qs.order_by(("-" if sort.startswith("-") else "") + field, "-pk")


def work_queues() -> list[dict]:
    """The dashboard's queues: how many orders wait in each and since when, in one query.

    Each queue links to the order list filtered the same way.
    """
    from django.db.models import Min, Q
    from django.utils import timezone

    S = OrderStatus
    today = timezone.localdate()
    queues = [
        (
            "to_verify",
            _q("To check"),
            Q(status=S.PLACED, first_checked_by__isnull=True),
            {"status": "placed"},
        ),
        (
            "second_check",
            _q("Awaiting second check"),
            Q(status=S.PLACED, first_checked_by__isnull=False),
            {"status": "placed"},
        ),
        (
            "inventory",
            _q("Inventory check"),
            Q(status=S.VERIFIED),
            {"status": "verified"},
        ),
        (
            "backordered",
            _q("Backordered"),
            Q(status=S.BACKORDERED),
            {"status": "backordered"},
        ),
        (
            "payment",
            _q("Awaiting payment"),
            Q(status=S.ALLOCATED),
            {"status": "allocated"},
        ),
        ("to_pick", _q("Ready to pick"), Q(status=S.PAID), {"status": "paid"}),
        ("to_pack", _q("To pack"), Q(status=S.PICKING), {"status": "picking"}),
        ("to_ship", _q("To ship"), Q(status=S.PACKED), {"status": "packed"}),
        ("on_hold", _q("On hold"), Q(status=S.ON_HOLD), {"status": "on_hold"}),
        (
            "overdue",
            _q("Past ship-by date"),
            Q(ship_by__lt=today) & ~Q(status__in=CLOSED),
            {"overdue": "on"},
        ),
    ]
    aggregates = {}
    for key, _label, condition, _params in queues:
        aggregates[f"{key}_n"] = Count("pk", filter=condition)
        aggregates[f"{key}_oldest"] = Min("status_changed_at", filter=condition)
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    aggregates["shipped_today"] = Count("pk", filter=Q(shipped_at__gte=start))
    aggregates["placed_today"] = Count("pk", filter=Q(placed_at__gte=start))
    aggregates["completed_today"] = Count("pk", filter=Q(completed_at__gte=start))
    data = Order.objects.aggregate(**aggregates)
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
    throughput = {
        k: data[k] for k in ("placed_today", "shipped_today", "completed_today")
    }
    return rows, throughput


def order_detail(*, number: str) -> Order:
    """One order with everything its staff page shows, in a fixed number of queries."""
    from django.db.models import Prefetch
    from django.shortcuts import get_object_or_404

    from orders.models import OrderEvent, OrderLine

    return get_object_or_404(
        Order.objects.select_related(
            "customer", "first_checked_by", "verified_by", "split_from"
        ).prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by("pk").prefetch_related(
                    "allocations__stock_item__warehouse"
                ),
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
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related("actor").order_by(
                    "-created_at", "-pk"
                ),
            ),
        ),
        number=number,
    )


# ------------------------------------------------------------------------------
# Fulfilment: pick lists and packing slips
# ------------------------------------------------------------------------------
PICKABLE = (OrderStatus.ALLOCATED, OrderStatus.PAID, OrderStatus.PICKING)


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


def pick_lists(*, orders: list[Order], warehouse_code: str = "") -> list[dict]:
    """One pick list per warehouse: a row per bin, walking the locations in order.

    Each row is one stock item (product at a location) with the total to pick
    and how many go to each order, so one walk picks a whole batch.
    """
    from orders.models import OrderLineAllocation

    allocations = (
        OrderLineAllocation.objects.filter(
            line__order__in=[o.pk for o in orders if o.status in PICKABLE]
        )
        .select_related("line__order", "stock_item__warehouse")
        .order_by("stock_item__warehouse__code", "pk")
    )
    if warehouse_code:
        allocations = allocations.filter(stock_item__warehouse__code=warehouse_code)
    lists: dict[int, dict] = {}
    for a in allocations:
        item = a.stock_item
        sheet = lists.setdefault(
            item.warehouse_id,
            {"warehouse": item.warehouse, "rows": {}, "orders": set(), "units": 0},
        )
        row = sheet["rows"].setdefault(
            item.pk,
            {
                "location": item.location,
                "sku": a.line.sku,
                "name": a.line.name,
                "quantity": 0,
                "per_order": {},
            },
        )
        number = a.line.order.number
        row["quantity"] += a.quantity
        row["per_order"][number] = row["per_order"].get(number, 0) + a.quantity
        sheet["orders"].add(number)
        sheet["units"] += a.quantity
    result = []
    for sheet in lists.values():
        rows = sorted(
            sheet["rows"].values(),
            # Rows without a bin go last, so the walk is never interrupted.
            key=lambda r: (not r["location"], r["location"], r["sku"]),
        )
        for row in rows:
            row["per_order"] = sorted(row["per_order"].items())
        result.append(
            {
                "warehouse": sheet["warehouse"],
                "rows": rows,
                "orders": sorted(sheet["orders"]),
                "units": sheet["units"],
            }
        )
    return result


def allocation_warehouses(*, order: Order) -> list:
    """The warehouses holding stock allocated to ``order`` (where its parcels leave from)."""
    from inventory.models import Warehouse

    return list(
        Warehouse.objects.filter(
            stock_items__order_allocations__line__order=order
        ).distinct()
    )


def packing_slips(*, orders: list[Order]) -> list[dict]:
    """What goes in each parcel: the lines still to ship, without prices."""
    from django.db.models import Prefetch

    from orders.models import OrderLine

    slips = []
    for order in (
        Order.objects.filter(pk__in=[o.pk for o in orders])
        .select_related("customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by("pk").prefetch_related(
                    "shipment_lines"
                ),
            )
        )
    ):
        lines = []
        for line in order.lines.all():
            shipped = sum(s.quantity for s in line.shipment_lines.all())
            lines.append(
                {
                    "sku": line.sku,
                    "name": line.name,
                    "ordered": line.quantity,
                    "shipped": shipped,
                    "to_ship": line.quantity - shipped,
                }
            )
        slips.append({"order": order, "lines": lines})
    position = {o.pk: n for n, o in enumerate(orders)}
    return sorted(slips, key=lambda s: position[s["order"].pk])

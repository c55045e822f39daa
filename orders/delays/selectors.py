"""Reading delays: the cases for the staff queue, the customer's open question,
and the orders at risk of missing a deadline."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order, OrderStatus
from orders.delays.calendar import Calendar
from orders.delays.models import Delay, StepTarget

S = OrderStatus

# The staff queue's views: key -> (label, which cases).
SHOWS = {
    "to_explain": (
        _("To explain to the customer"),
        Q(status=Delay.Status.OPEN, explained_at__isnull=True),
    ),
    "escalated": (
        _("Escalated (the new date slipped)"),
        Q(status=Delay.Status.OPEN, escalated_at__isnull=False),
    ),
    "waiting": (
        _("Waiting for the customer's answer"),
        Q(status=Delay.Status.OPEN, explained_at__isnull=False, choice=""),
    ),
    "answered": (
        _("Answered: ready to close"),
        Q(status=Delay.Status.OPEN) & ~Q(choice=""),
    ),
    "open": (_("All open"), Q(status=Delay.Status.OPEN)),
    "closed": (_("Closed"), Q(status=Delay.Status.CLOSED)),
}


def delay_cases(*, show: str = "open") -> QuerySet[Delay]:
    """Cases for the staff queue, oldest open first (closed: newest first)."""
    condition = SHOWS.get(show, SHOWS["open"])[1]
    qs = Delay.objects.filter(condition).select_related(
        "order", "order__customer", "cause"
    )
    if show == "closed":
        return qs.order_by("-closed_at", "-pk")
    return qs.order_by("opened_at", "pk")


def delay_summary() -> dict:
    """The dashboard's delay card: open cases by what they wait for, one query."""
    open_cases = Q(status=Delay.Status.OPEN)
    return Delay.objects.filter(open_cases).aggregate(
        to_explain=Count("pk", filter=SHOWS["to_explain"][1]),
        escalated=Count("pk", filter=SHOWS["escalated"][1]),
        waiting=Count("pk", filter=SHOWS["waiting"][1]),
        oldest=Min("opened_at", filter=SHOWS["to_explain"][1]),
    )


def delay_case(pk: int) -> Delay:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Delay.objects.select_related(
            "order", "order__customer", "cause", "explained_by", "closed_by"
        ).prefetch_related("slip_rows"),
        pk=pk,
    )


def case_of(order: Order) -> Delay | None:
    """The order's open case, else its latest (for the status page and the order page)."""
    cases = sorted(order.delays.all(), key=lambda d: (d.is_open, d.opened_at, d.pk))
    return cases[-1] if cases else None


def choices_for(delay: Delay, order: Order) -> list[str]:
    """What the customer may choose now: waiting always; shipping what is in stock
    when the order waits for stock and part of it is there; cancelling before it ships."""
    if not delay.awaits_choice:
        return []
    offered = [Delay.Choice.WAIT]
    if order.status == S.BACKORDERED and any(
        line.backordered_quantity < line.quantity for line in order.lines.all()
    ):
        offered.append(Delay.Choice.PARTIAL)
    if order.status in S.NOT_SHIPPED:
        offered.append(Delay.Choice.CANCEL)
    return offered


def at_risk(*, now=None, limit: int = 50) -> list[dict]:
    """Open orders close to a deadline that have not missed it yet: ship-by today
    (or the next business day) and steps past their warning time. Each query
    reads the scan's partial indexes."""
    now = now or timezone.now()
    calendar = Calendar.load()
    today = calendar.local_date(now)
    horizon = calendar.add_business_days(today + timedelta(days=1), 0)
    rows = [
        {"order": o, "why": _("ships by %(day)s") % {"day": o.ship_by}}
        for o in Order.objects.filter(
            ship_by__gte=today, ship_by__lte=horizon, status__in=S.BEFORE_SHIPMENT
        )
        .select_related("customer")
        .order_by("ship_by", "pk")[:limit]
    ]
    targets = {t.status: t for t in StepTarget.objects.filter(warn_hours__gt=0)}
    waiting = Q()
    for status, target in targets.items():
        waiting |= Q(
            status=status,
            status_changed_at__lt=now - timedelta(hours=target.warn_hours),
        )
    if targets:
        for order in (
            Order.objects.filter(waiting)
            .select_related("customer")
            .order_by("-status_changed_at", "-pk")[: limit * 4]
        ):
            target = targets[order.status]
            since = order.status_changed_at
            if (
                calendar.add_business_hours(since, target.warn_hours)
                <= now
                < (calendar.add_business_hours(since, target.hours))
            ):
                rows.append(
                    {
                        "order": order,
                        "why": _("%(state)s for longer than %(h)s business hours")
                        % {"state": order.get_status_display(), "h": target.warn_hours},
                    }
                )
    return rows[:limit]


# ------------------------------------------------------------------------------
# The review
# ------------------------------------------------------------------------------
# A SKU, supplier or carrier in at least this many cases of the period (and
# twice the median of its kind) is a repeat offender.
REPEAT_AT = 3
MAX_REVIEW_WEEKS = 52
DIMENSIONS = {
    "cause": _("Cause"),
    "product": _("Product"),
    "supplier": _("Supplier"),
    "warehouse": _("Warehouse"),
    "carrier": _("Carrier"),
    "week": _("Week"),
}
REPEATS = ("product", "supplier", "carrier")


def delay_review(*, weeks: int = 12, now=None) -> dict:
    """Cases opened in the last ``weeks`` weeks by cause, product, supplier,
    warehouse, carrier and week (cases, average and worst extra days, compensation
    given), the on-time rate of the orders shipped in the period and the open
    corrective actions.

    Reads plain values, one query per relation of the period's cases (their
    orders, missed deadlines, lines, allocations, shipments, suppliers and
    accepted offers, each filtered by the period, not by a list of ids), and the
    period's shipped orders from the ``order_shipped_at`` index.
    """
    from collections import defaultdict

    from django.db.models.functions import TruncDate

    from inventory.models import IncomingStock
    from orders.core.models import OrderLine, OrderLineAllocation
    from orders.delays.models import CompensationOffer, CorrectiveAction, DelaySlip
    from orders.fulfilment.models import Shipment

    now = now or timezone.now()
    weeks = min(max(int(weeks), 1), MAX_REVIEW_WEEKS)
    since = now - timedelta(weeks=weeks)
    calendar = Calendar.load()
    in_period = Delay.objects.filter(opened_at__gte=since)
    orders_in_period = in_period.values("order_id")
    cases = list(
        in_period.values_list(
            "pk",
            "order_id",
            "status",
            "opened_at",
            "deadline",
            "cause__name",
            "order__shipped_at",
            "order__delivered_at",
            "order__cancelled_at",
        )
    )
    first_missed, by_delivery = {}, set()
    for delay_id, kind, deadline in DelaySlip.objects.filter(
        delay__opened_at__gte=since
    ).values_list("delay_id", "kind", "deadline"):
        if delay_id not in first_missed or deadline < first_missed[delay_id]:
            first_missed[delay_id] = deadline
        if kind == DelaySlip.Kind.DELIVERY:
            by_delivery.add(delay_id)
    lines = defaultdict(set)  # order id -> {(sku, product id)}
    for order_id, sku, product_id in OrderLine.objects.filter(
        order_id__in=orders_in_period
    ).values_list("order_id", "sku", "product_id"):
        lines[order_id].add((sku, product_id))
    warehouses = defaultdict(set)
    for order_id, name in (
        OrderLineAllocation.objects.filter(line__order_id__in=orders_in_period)
        .values_list("line__order_id", "stock_item__warehouse__name")
        .distinct()
    ):
        warehouses[order_id].add(name)
    carriers = defaultdict(set)
    for order_id, carrier in (
        Shipment.objects.filter(order_id__in=orders_in_period)
        .values_list("order_id", "carrier")
        .distinct()
    ):
        carriers[order_id].add(carrier)
    suppliers = dict(
        IncomingStock.objects.filter(
            product_id__in=OrderLine.objects.filter(
                order_id__in=orders_in_period
            ).values("product_id")
        )
        .exclude(supplier="")
        .order_by("product_id", "expected_on")
        .values_list("product_id", "supplier")
    )
    cost_of = dict(
        CompensationOffer.objects.filter(
            delay__opened_at__gte=since, status=CompensationOffer.Status.ACCEPTED
        )
        .values("delay_id")
        .annotate(total=Sum("cost"))
        .values_list("delay_id", "total")
    )
    groups: dict[str, dict[str, list[float]]] = {k: {} for k in DIMENSIONS}
    costs: dict[str, dict[str, Decimal]] = {k: {} for k in DIMENSIONS}
    every, still_open = [], 0
    not_explained = str(_("not explained yet"))
    for (
        pk,
        order_id,
        status,
        opened_at,
        deadline,
        cause,
        shipped_at,
        delivered_at,
        cancelled_at,
    ) in cases:
        # days from the first missed deadline until the order moved on (shipped;
        # delivered for a late delivery; cancelled), or until now
        end = delivered_at if pk in by_delivery else (shipped_at or cancelled_at)
        first = first_missed.get(pk, deadline)
        days = max(((end or now) - first).total_seconds() / 86400, 0.0)
        cost = cost_of.get(pk, Decimal("0"))
        every.append(days)
        still_open += status == Delay.Status.OPEN
        keys = {
            "cause": {cause or not_explained},
            "product": {sku for sku, _p in lines[order_id]},
            "supplier": {
                suppliers[product]
                for _s, product in lines[order_id]
                if product in suppliers
            },
            "warehouse": warehouses[order_id],
            "carrier": carriers[order_id],
            "week": {calendar.local_date(opened_at).strftime("%G-W%V")},
        }
        for dimension, values in keys.items():
            for value in values or {"—"}:
                groups[dimension].setdefault(value, []).append(days)
                costs[dimension][value] = costs[dimension].get(value, 0) + cost
    tables = {}
    for dimension, found in groups.items():
        # A repeat offender stands out: at least REPEAT_AT cases and twice the
        # median of its kind (so a busy period does not mark every SKU).
        counts = sorted(len(days) for key, days in found.items() if key != "—")
        median = counts[(len(counts) - 1) // 2] if counts else 0
        repeat_at = max(REPEAT_AT, 2 * median)
        rows = [
            {
                "key": key,
                "cases": len(days),
                "average": round(sum(days) / len(days), 1),
                "worst": round(max(days), 1),
                "cost": costs[dimension][key],
                "repeat": dimension in REPEATS
                and key != "—"
                and len(days) >= repeat_at,
            }
            for key, days in found.items()
        ]
        if dimension == "week":
            rows.sort(key=lambda r: r["key"])
        else:
            rows.sort(key=lambda r: (-r["cases"], r["key"]))
        tables[dimension] = rows
    shipped = Order.objects.filter(
        shipped_at__gte=since, ship_by__isnull=False
    ).aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=Q(ship_by__gte=TruncDate("shipped_at"))),
    )
    return {
        "weeks": weeks,
        "since": since,
        "cases": len(cases),
        "open": still_open,
        "average": round(sum(every) / len(every), 1) if every else None,
        "worst": round(max(every), 1) if every else None,
        "cost": sum(cost_of.values(), Decimal("0")),
        "shipped": shipped["total"],
        "on_time_rate": (
            round(100 * shipped["on_time"] / shipped["total"], 1)
            if shipped["total"]
            else None
        ),
        "tables": tables,
        "actions": list(
            CorrectiveAction.objects.filter(done_at__isnull=True)
            .select_related("owner", "delay__order")
            .order_by("due_on", "pk")[:100]
        ),
        "today": calendar.local_date(now),
    }

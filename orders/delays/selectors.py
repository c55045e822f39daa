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


def _extra_days(delay: Delay, now) -> float:
    """Days between the first missed deadline and when the order moved on
    (shipped, delivered for a delivery slip, cancelled), or now."""
    order = delay.order
    slips = list(delay.slip_rows.all())
    first = min((s.deadline for s in slips), default=delay.deadline)
    if any(s.kind == "delivery" for s in slips):
        end = order.delivered_at
    else:
        end = order.shipped_at or order.cancelled_at
    return max(((end or now) - first).total_seconds() / 86400, 0.0)


def delay_review(*, weeks: int = 12, now=None) -> dict:
    """Cases opened in the last ``weeks`` weeks by cause, product, supplier,
    warehouse, carrier and week (cases, average and worst extra days), the on-time
    rate of the orders shipped in the period and the open corrective actions.

    Reads the period's cases with their orders, lines, allocations and shipments
    (a fixed number of queries), and the period's shipped orders from the
    ``order_shipped_at`` index.
    """
    from django.db.models import Prefetch
    from django.db.models.functions import TruncDate

    from inventory.models import IncomingStock
    from orders.core.models import OrderLine
    from orders.delays.models import CompensationOffer, CorrectiveAction

    now = now or timezone.now()
    weeks = min(max(int(weeks), 1), MAX_REVIEW_WEEKS)
    since = now - timedelta(weeks=weeks)
    calendar = Calendar.load()
    cases = list(
        Delay.objects.filter(opened_at__gte=since)
        .select_related("order", "cause")
        .prefetch_related(
            "slip_rows",
            "order__shipments",
            Prefetch(
                "order__lines",
                queryset=OrderLine.objects.prefetch_related(
                    "allocations__stock_item__warehouse"
                ),
            ),
        )
    )
    product_ids = {line.product_id for d in cases for line in d.order.lines.all()}
    suppliers = dict(
        IncomingStock.objects.filter(product_id__in=product_ids)
        .exclude(supplier="")
        .order_by("product_id", "expected_on")
        .values_list("product_id", "supplier")
    )
    groups: dict[str, dict[str, list[float]]] = {k: {} for k in DIMENSIONS}
    costs: dict[str, dict[str, Decimal]] = {k: {} for k in DIMENSIONS}
    cost_of = dict(
        CompensationOffer.objects.filter(
            delay__in=[d.pk for d in cases], status=CompensationOffer.Status.ACCEPTED
        )
        .values("delay_id")
        .annotate(total=Sum("cost"))
        .values_list("delay_id", "total")
    )
    every = []
    for delay in cases:
        days = _extra_days(delay, now)
        cost = cost_of.get(delay.pk, Decimal("0"))
        every.append(days)
        lines = delay.order.lines.all()
        keys = {
            "cause": {
                delay.cause.name if delay.cause_id else str(_("not explained yet"))
            },
            "product": {line.sku for line in lines},
            "supplier": {
                suppliers[line.product_id]
                for line in lines
                if line.product_id in suppliers
            },
            "warehouse": {
                a.stock_item.warehouse.name
                for line in lines
                for a in line.allocations.all()
            },
            "carrier": {s.carrier for s in delay.order.shipments.all()},
            "week": {calendar.local_date(delay.opened_at).strftime("%G-W%V")},
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
        "open": sum(1 for d in cases if d.is_open),
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

"""Reading delays: the cases for the staff queue, the customer's open question,
and the orders at risk of missing a deadline."""

from datetime import timedelta

from django.db.models import Count, Min, Q, QuerySet
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

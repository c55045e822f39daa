"""The demo's delays (``seed_demo``): the scan turns the late demo orders into cases,
and staff and customers have worked on many of them, through the services.

Run after the demo's orders are spread over the past weeks. The scan runs at
the time each deadline passed (so cases spread over those weeks too), staff
explain most cases with what the system suggests, customers answer some of them
(wait, ship what is ready, cancel), a few are closed with their root cause, and
one case's new date slips again and is escalated.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from inventory.models import IncomingStock, Product, Warehouse
from orders.core.models import Order
from orders.delays import services as delays
from orders.delays.models import (
    CompensationKind,
    CompensationOffer,
    CompensationRule,
    Delay,
    DelayCause,
    DelaySlip,
    Holiday,
)
from orders.events.models import EventType, OrderEvent
from orders.exceptions import OrderError

# (root cause, corrective action, days until it is due)
ROOT_CAUSES = [
    (
        "Reorder point for this coffee was too low for the season.",
        "Raise the reorder points of the winter blends",
        5,
    ),
    (
        "Supplier shipped a week late without telling us.",
        "Ask the roastery for confirmed delivery dates on every order",
        10,
    ),
    ("Order sat unverified over the weekend.", "", 0),
    (
        "Carrier missed the pickup twice this month.",
        "Book a second daily collection with DHL",
        14,
    ),
]


def seed_delays(*, staff: dict, rng: random.Random, out_of_stock: set[str]) -> dict:
    """Holidays, expected deliveries, then the delay cases and their history."""
    today = timezone.localdate()
    for day, name in [
        (date(today.year, 12, 25), "Christmas Day"),
        (date(today.year, 12, 26), "Second day of Christmas"),
        (date(today.year + 1, 1, 1), "New Year's Day"),
    ]:
        Holiday.objects.get_or_create(day=day, defaults={"name": name})
    main = Warehouse.objects.get(is_default=True)
    for n, product in enumerate(Product.objects.filter(sku__in=sorted(out_of_stock))):
        IncomingStock.objects.create(
            product=product,
            warehouse=main,
            quantity=40,
            # one of them is overdue: the supplier is late
            expected_on=today + timedelta(days=-2 if n == 0 else 6 + n),
            supplier="Kaffeerösterei Nord",
            reference=f"PO-2026-{410 + n}",
        )
    delays.delays_scan()
    _as_if_found_when_late()
    clerk, manager = staff["clerk"], staff["manager"]
    cases = list(
        Delay.objects.filter(status=Delay.Status.OPEN)
        .select_related("order")
        .order_by("pk")
    )
    told = answered = closed = 0
    causes = {c.code: c for c in DelayCause.objects.all()}
    for n, case in enumerate(cases):
        if n % 3 == 2:
            continue  # left for staff to explain: the dashboard's work
        order = case.order
        suggested = delays.delay_suggestion(case, order)
        cause = causes.get(suggested["cause"]) or causes["supplier_late"]
        try:
            case = delays.delay_explain(
                delay=case,
                actor=clerk,
                cause=cause,
                new_date=max(suggested["new_date"], today + timedelta(days=2)),
                details=suggested["details"],
            )
        except OrderError:
            continue
        told += 1
        offered = delays.choices_for(case, Order.objects.get(pk=order.pk))
        pick = rng.random()
        choice = (
            Delay.Choice.PARTIAL
            if Delay.Choice.PARTIAL in offered and pick < 0.6
            else Delay.Choice.CANCEL
            if Delay.Choice.CANCEL in offered and pick > 0.9
            else Delay.Choice.WAIT
            if pick < 0.55
            else None
        )
        if choice:
            delays.delay_choose(delay=case, choice=choice)
            answered += 1
            if closed < len(ROOT_CAUSES) and choice != Delay.Choice.WAIT:
                root_cause, action, days = ROOT_CAUSES[closed]
                delays.delay_close(
                    delay=case,
                    actor=manager,
                    root_cause=root_cause,
                    action=action,
                    owner=staff["warehouse"] if action else None,
                    due_on=today + timedelta(days=days) if action else None,
                )
                closed += 1
    offered = _compensation(staff=staff)
    escalated = _one_slips_again()
    return {
        "offered": offered,
        "cases": len(cases),
        "told": told,
        "answered": answered,
        "closed": closed,
        "escalated": escalated,
    }


def _compensation(*, staff: dict) -> int:
    """Staff offer what the policy suggests on some explained cases; some customers
    accept (a code, credit, a gift), and one larger offer waits for a manager."""
    from orders.delays import compensation

    gift = Product.objects.filter(active=True).order_by("unit_price").first()
    CompensationRule.objects.get_or_create(
        kind=CompensationKind.GIFT,
        gift=gift,
        defaults={"position": 9, "min_days_late": 4},
    )
    offered = 0
    cases = Delay.objects.filter(
        status=Delay.Status.OPEN, explained_at__isnull=False
    ).order_by("pk")
    # the cases worked on: the first few explained, without an accepted offer
    cases = cases.exclude(offers__status=CompensationOffer.Status.ACCEPTED)
    for n, case in enumerate(cases[:12]):
        for suggestion in compensation.compensation_suggestions(case)[:2]:
            try:
                offer = compensation.compensation_offer(
                    delay=case,
                    actor=staff["clerk"],
                    kind=suggestion.kind,
                    value=suggestion.value,
                    product=suggestion.product,
                    rule=suggestion.rule,
                )
            except OrderError:
                continue
            offered += 1
            if n % 3 == 0 and offer.status == CompensationOffer.Status.OFFERED:
                try:
                    compensation.compensation_accept(offer=offer)
                except OrderError:
                    pass
        extra = {
            1: (CompensationKind.GIFT, None),
            2: (CompensationKind.STORE_CREDIT, 5),
        }
        if n % 4 in extra:  # a gift or a little credit, accepted
            kind, value = extra[n % 4]
            try:
                offer = compensation.compensation_offer(
                    delay=case,
                    actor=staff["clerk"],
                    kind=kind,
                    value=Decimal(value) if value else None,
                    product=gift,
                )
                offered += 1
                compensation.compensation_accept(offer=offer)
            except OrderError:
                pass
        if n == 7:  # a goodwill credit above the clerk's limit (nothing accepted there)
            try:
                compensation.compensation_offer(
                    delay=case,
                    actor=staff["clerk"],
                    kind=CompensationKind.STORE_CREDIT,
                    value=Decimal("25.00"),
                )
                offered += 1
            except OrderError:
                pass
    return offered


def _as_if_found_when_late() -> None:
    # Demo only: the scan ran just now, but a shop running the beat task would
    # have found each slip soon after its deadline; move each case's dates there.
    for slip in DelaySlip.objects.select_related("delay"):
        found = slip.deadline + timedelta(minutes=7)
        if found >= timezone.now():
            continue
        DelaySlip.objects.filter(pk=slip.pk).update(detected_at=found)
        Delay.objects.filter(pk=slip.delay_id, opened_at__gt=found).update(
            opened_at=found
        )
        OrderEvent.objects.filter(
            order_id=slip.order_id, type=EventType.DELAY_OPENED
        ).update(created_at=found)


def _one_slips_again() -> int:
    """A case whose customer chose to wait sees its new date pass: escalated."""
    from orders.core.models import OrderStatus
    from orders.delays.calendar import Calendar

    calendar = Calendar.load()
    today = timezone.localdate()
    for case in Delay.objects.filter(
        status=Delay.Status.OPEN,
        choice=Delay.Choice.WAIT,
        order__status__in=OrderStatus.NOT_SHIPPED,
    ).order_by("pk")[:5]:
        # Demo only: as if the new ship-by date had passed without the order
        # shipping (a day it was not already found late for).
        for back in range(1, 6):
            day = today - timedelta(days=back)
            if not DelaySlip.objects.filter(
                order_id=case.order_id, deadline=calendar.end_of(day)
            ).exists():
                Order.objects.filter(pk=case.order_id).update(ship_by=day)
                return len(delays.delays_scan().escalated)
    return 0

"""Delays end to end: promises at placement, the scan, the case, the customer's choice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from inventory import services as inventory
from orders.core import services
from orders.delays import compensation as comp
from orders.delays import services as delays
from orders.delays.models import (
    CompensationLimit,
    CompensationOffer,
    Delay,
    DelayCause,
    DelayDigest,
    DelaySlip,
)
from orders.delays.promise import promise_for
from orders.events.models import EventType as T
from orders.exceptions import InvalidOrder, TransitionForbidden, TransitionNotAllowed
from orders.models import Notification, Order, OrderStatus, Refund
from orders.notifications.models import NotificationKind as Kind
from orders.permissions import Role
from ordersite.models import OutboxMessage
from tests.factories.inventory import IncomingStockFactory, ProductFactory
from tests.factories.orders import OrderFactory
from tests.racing import race

S = OrderStatus
D = Decimal


def late(order, days=3):
    """Move the order's promise into the past, as if days had gone by."""
    today = timezone.localdate()
    Order.objects.filter(pk=order.pk).update(
        ship_by=today - timedelta(days=days),
        estimated_delivery=today - timedelta(days=days - 2),
    )
    return Order.objects.get(pk=order.pk)


def cause(code):
    return DelayCause.objects.get(code=code)


def emails(order, kind):
    return Notification.objects.filter(order=order, kind=kind)


def facts_of(order, type_):
    return list(order.events.filter(type=type_))


# ------------------------------------------------------------------------------
# Promises
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_every_order_is_promised_dates_when_it_is_placed(place):
    order = place()
    expected = promise_for(placed_at=order.placed_at)
    assert (order.ship_by, order.estimated_delivery) == (
        expected.ship_by,
        expected.estimated_delivery,
    )
    assert order.ship_by >= timezone.localdate()
    assert order.estimated_delivery > order.ship_by


@pytest.mark.django_db
def test_dates_the_caller_gives_are_kept(stock, staff):
    product = ProductFactory()
    stock(product, 1)
    day = timezone.localdate() + timedelta(days=9)
    order = services.order_place(
        customer=OrderFactory().customer,
        channel="web",
        lines=[services.LineInput(product=product, quantity=1)],
        ship_by=day,
        estimated_delivery=day + timedelta(days=2),
    )
    assert (order.ship_by, order.estimated_delivery) == (day, day + timedelta(days=2))


@pytest.mark.django_db
def test_a_backorder_moves_the_promise_to_when_the_stock_is_expected(
    order_in, warehouse, crew, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    arrives = timezone.localdate() + timedelta(days=20)
    IncomingStockFactory(product=product, warehouse=warehouse, expected_on=arrives)
    order = order_in(S.VERIFIED, lines=[(product, 2)], stocked=False)
    first = (order.ship_by, order.estimated_delivery)
    with django_capture_on_commit_callbacks(execute=True):
        order = services_check(order, crew)
    assert order.status == S.BACKORDERED
    assert order.ship_by > arrives > first[0]
    [changed] = facts_of(order, T.PROMISE_CHANGED)
    assert changed.data["because"] == "backorder"
    assert changed.data["was_ship_by"] == first[0].isoformat()
    # the backorder email carries the new date; no second email for the change
    [email] = emails(order, Kind.BACKORDERED)
    assert (
        f"{order.estimated_delivery}" in email.body_text
        or str(order.estimated_delivery.day) in email.body_text
    )
    assert not emails(order, Kind.NEW_DATE).exists()


@pytest.mark.django_db
def test_a_backorder_without_a_date_for_its_stock_keeps_the_promise(order_in, crew):
    order = order_in(S.VERIFIED, lines=[(ProductFactory(), 2)], stocked=False)
    before = (order.ship_by, order.estimated_delivery)
    order = services_check(order, crew)
    assert (order.ship_by, order.estimated_delivery) == before
    assert not facts_of(order, T.PROMISE_CHANGED)


def services_check(order, crew):
    from orders.stock.services import order_check_inventory

    order_check_inventory(order=order, actor=crew.warehouse)
    return Order.objects.get(pk=order.pk)


@pytest.mark.django_db
def test_a_receipt_marks_what_it_brings_as_arrived(warehouse, staff):
    product = ProductFactory()
    early = IncomingStockFactory(product=product, warehouse=warehouse, quantity=5)
    later = IncomingStockFactory(
        product=product,
        warehouse=warehouse,
        quantity=5,
        expected_on=early.expected_on + timedelta(days=7),
    )
    inventory.receipt_create(
        warehouse=warehouse,
        supplier="Roastery",
        lines=[inventory.ReceiptLine(product=product, quantity=7)],
        actor=staff[Role.MANAGER],
    )
    early.refresh_from_db()
    later.refresh_from_db()
    assert early.arrived_at is not None and later.arrived_at is None


@pytest.mark.django_db
def test_staff_change_a_promise_with_a_reason_and_the_customer_is_told(
    order_in, staff, django_capture_on_commit_callbacks
):
    order = order_in(S.ALLOCATED)
    day = timezone.localdate() + timedelta(days=10)
    with pytest.raises(InvalidOrder):
        delays.order_promise_change(
            order=order,
            actor=staff[Role.CLERK],
            ship_by=day,
            estimated_delivery=day + timedelta(days=2),
            reason="  ",
        )
    with pytest.raises(TransitionForbidden):
        delays.order_promise_change(
            order=order,
            actor=staff[Role.WAREHOUSE],
            ship_by=day,
            estimated_delivery=day,
            reason="Roaster closed",
        )
    for ship_by, delivery in [
        (day, day - timedelta(days=1)),  # delivered before shipping
        (timezone.localdate() - timedelta(days=1), day),  # in the past
        (day, day + timedelta(days=400)),  # beyond a year
    ]:
        with pytest.raises(InvalidOrder):
            delays.order_promise_change(
                order=order,
                actor=staff[Role.CLERK],
                ship_by=ship_by,
                estimated_delivery=delivery,
                reason="Roaster closed",
            )
    with django_capture_on_commit_callbacks(execute=True):
        for _twice in range(2):  # the same dates again change nothing
            delays.order_promise_change(
                order=order,
                actor=staff[Role.CLERK],
                ship_by=day,
                estimated_delivery=day + timedelta(days=2),
                reason="Roaster closed for a week",
            )
    order.refresh_from_db()
    assert (order.ship_by, order.estimated_delivery) == (day, day + timedelta(days=2))
    [fact] = facts_of(order, T.PROMISE_CHANGED)
    assert fact.customer_visible and fact.data["reason"] == "Roaster closed for a week"
    [email] = emails(order, Kind.NEW_DATE)
    assert email.delivery.status == "sent"


@pytest.mark.django_db
def test_a_delivered_orders_dates_no_longer_change(order_in, staff):
    order = order_in(S.DELIVERED)
    day = timezone.localdate() + timedelta(days=3)
    with pytest.raises(TransitionNotAllowed):
        delays.order_promise_change(
            order=order,
            actor=staff[Role.CLERK],
            ship_by=day,
            estimated_delivery=day,
            reason="Too late",
        )


# ------------------------------------------------------------------------------
# Detection
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_late_order_opens_one_case_however_often_it_is_scanned(order_in):
    order = late(order_in(S.ALLOCATED))
    on_time = order_in(S.ALLOCATED)
    first = delays.delays_scan()
    again = delays.delays_scan()
    assert len(first.opened) == 1 and first.slips == 1
    assert again.opened == [] and again.slips == 0
    [case] = Delay.objects.filter(order=order)
    assert case.is_open and case.slips == 1
    [slip] = case.slip_rows.all()
    assert slip.kind == DelaySlip.Kind.SHIP_BY and slip.late_by > timedelta(days=1)
    assert not Delay.objects.filter(order=on_time).exists()
    [fact] = facts_of(order, T.DELAY_OPENED)
    assert not fact.customer_visible  # internal until staff explain it


@pytest.mark.django_db
def test_a_step_past_its_target_time_is_a_slip_of_its_own(place):
    order = place()  # placed: verified within 4 business hours
    Order.objects.filter(pk=order.pk).update(
        status_changed_at=timezone.now() - timedelta(days=6)
    )
    result = delays.delays_scan()
    [slip] = DelaySlip.objects.filter(order=order)
    assert (
        result.opened and slip.kind == DelaySlip.Kind.STEP and slip.status == S.PLACED
    )
    # the same order past its ship-by date as well: one case, two slips
    late(order)
    delays.delays_scan()
    case = Delay.objects.get(order=order)
    assert case.slips == 2 and case.slip_rows.count() == 2


@pytest.mark.django_db
def test_a_shipped_order_past_its_delivery_date_is_late(order_in):
    order = order_in(S.SHIPPED)
    Order.objects.filter(pk=order.pk).update(
        estimated_delivery=timezone.localdate() - timedelta(days=2)
    )
    delays.delays_scan()
    [slip] = DelaySlip.objects.filter(order=order)
    assert slip.kind == DelaySlip.Kind.DELIVERY


@pytest.mark.django_db
def test_the_scans_queries_do_not_grow_with_orders_on_time(
    order_in, django_assert_num_queries
):
    # given one late order among many on time
    late(order_in(S.ALLOCATED))
    delays.delays_scan()
    for _n in range(3):
        order_in(S.ALLOCATED)

    def scan_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            delays.delays_scan()
        return len(queries)

    few = scan_queries()
    for _n in range(25):
        order_in(S.ALLOCATED)
    assert scan_queries() == few <= 12  # one per kind of work, whatever the orders


@pytest.mark.django_db
def test_one_digest_per_interval_lists_the_new_cases(
    order_in, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_STAFF_ALERT_EMAILS = ["team@example.com"]
    first, second = late(order_in(S.ALLOCATED)), late(order_in(S.ALLOCATED))
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan()
        late(order_in(S.ALLOCATED))
        delays.delays_scan()  # a new case, but within the interval
    [digest] = DelayDigest.objects.all()
    assert digest.cases == 2
    [sent] = [m for m in mail.outbox if "team@example.com" in m.to]
    assert first.number in sent.body and second.number in sent.body
    # after the interval the next digest has only the newer case
    later = timezone.now() + timedelta(minutes=settings.ORDERS_DELAY_DIGEST_MINUTES + 1)
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan(now=later)
    assert DelayDigest.objects.count() == 2
    newest = [m for m in mail.outbox if "team@example.com" in m.to][-1]
    assert first.number not in newest.body and "1 new delay" in newest.subject


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_open_one_case_and_record_each_slip_once(order_in):
    orders = [late(order_in(S.ALLOCATED)) for _n in range(4)]
    outcomes = race(delays.delays_scan, delays.delays_scan, delays.delays_scan)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(len(o.opened) for o in outcomes) == 4
    for order in orders:
        assert Delay.objects.filter(order=order).count() == 1
        assert DelaySlip.objects.filter(order=order).count() == 1
        assert len(facts_of(order, T.DELAY_OPENED)) == 1
    assert DelayDigest.objects.count() == 1


# ------------------------------------------------------------------------------
# The case
# ------------------------------------------------------------------------------
def open_case(order):
    delays.delays_scan()
    return Delay.objects.get(order=order, status=Delay.Status.OPEN)


@pytest.mark.django_db
def test_explaining_tells_the_customer_the_cause_and_the_new_date_once(
    order_in, staff, django_capture_on_commit_callbacks
):
    order = late(order_in(S.ALLOCATED))
    case = open_case(order)
    new_date = timezone.localdate() + timedelta(days=6)
    with django_capture_on_commit_callbacks(execute=True):
        for _twice in range(2):  # a double submit tells once
            delays.delay_explain(
                delay=case,
                actor=staff[Role.CLERK],
                cause=cause("supplier_late"),
                new_date=new_date,
            )
    case.refresh_from_db()
    order.refresh_from_db()
    assert case.explained_at and case.new_date == new_date
    assert order.estimated_delivery == new_date and order.ship_by <= new_date
    [email] = emails(order, Kind.DELAYED)
    assert "our supplier is late" in email.body_text
    assert f"{order.tracking_token}/#delay" in email.body_text
    [fact] = facts_of(order, T.DELAY_EXPLAINED)
    assert fact.customer_visible and fact.data["cause"] == "supplier_late"
    assert not facts_of(order, T.PROMISE_CHANGED)  # the explanation says it


@pytest.mark.django_db
def test_an_explanation_needs_a_valid_cause_and_date(order_in, staff):
    case = open_case(late(order_in(S.ALLOCATED)))
    clerk = staff[Role.CLERK]
    soon = timezone.localdate() + timedelta(days=3)
    with pytest.raises(InvalidOrder, match="needs a description"):
        delays.delay_explain(
            delay=case, actor=clerk, cause=cause("other"), new_date=soon
        )
    with pytest.raises(InvalidOrder, match="past"):
        delays.delay_explain(
            delay=case,
            actor=clerk,
            cause=cause("carrier_delay"),
            new_date=timezone.localdate() - timedelta(days=1),
        )
    with pytest.raises(InvalidOrder, match="under"):
        delays.delay_explain(
            delay=case,
            actor=clerk,
            cause=cause("other"),
            new_date=soon,
            details="x" * 10_000,
        )
    with pytest.raises(TransitionForbidden):
        delays.delay_explain(
            delay=case,
            actor=staff[Role.WAREHOUSE],
            cause=cause("carrier_delay"),
            new_date=soon,
        )
    retired = cause("payment_problem")
    retired.active = False
    retired.save()
    with pytest.raises(InvalidOrder, match="list"):
        delays.delay_explain(delay=case, actor=clerk, cause=retired, new_date=soon)
    case.refresh_from_db()
    assert case.explained_at is None and not facts_of(case.order, T.DELAY_EXPLAINED)


@pytest.mark.django_db
def test_a_new_date_that_slips_again_escalates_the_case(
    order_in, staff, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_DELAY_ESCALATION_EMAILS = ["manager@example.com"]
    order = late(order_in(S.ALLOCATED))
    case = open_case(order)
    new_date = timezone.localdate() + timedelta(days=6)
    delays.delay_explain(
        delay=case,
        actor=staff[Role.CLERK],
        cause=cause("supplier_late"),
        new_date=new_date,
    )
    delays.delay_choose(delay=case, choice=Delay.Choice.WAIT)
    # when the new ship-by date passes too
    with django_capture_on_commit_callbacks(execute=True):
        result = delays.delays_scan(now=timezone.now() + timedelta(days=10))
    case.refresh_from_db()
    assert result.escalated == [case.pk] and case.escalated_at
    assert case.slips == 2 and case.explained_at is None and case.choice == ""
    assert Delay.objects.filter(order=order).count() == 1
    assert emails(order, Kind.STILL_DELAYED).count() == 1
    alert = [m for m in mail.outbox if "manager@example.com" in m.to]
    assert alert and "Escalated" in alert[0].subject
    # a second scan escalates nothing more
    assert delays.delays_scan(now=timezone.now() + timedelta(days=10)).escalated == []


@pytest.mark.django_db
def test_closing_asks_for_the_root_cause(order_in, staff):
    case = open_case(late(order_in(S.ALLOCATED)))
    with pytest.raises(InvalidOrder, match="root cause"):
        delays.delay_close(delay=case, actor=staff[Role.CLERK], root_cause="late")
    delays.delay_close(
        delay=case,
        actor=staff[Role.CLERK],
        root_cause="The supplier's van broke down; order earlier before holidays.",
    )
    case.refresh_from_db()
    assert not case.is_open and case.closed_by == staff[Role.CLERK]
    assert facts_of(case.order, T.DELAY_CLOSED)
    # the order still late: a later slip opens a new case
    delays.delays_scan(now=timezone.now() + timedelta(days=30))
    assert Delay.objects.filter(order=case.order).count() == 1  # same slip: nothing


# ------------------------------------------------------------------------------
# The customer's choice
# ------------------------------------------------------------------------------
def explained(order, staff):
    case = open_case(order)
    return delays.delay_explain(
        delay=case,
        actor=staff[Role.CLERK],
        cause=cause("stock_shortage"),
        new_date=timezone.localdate() + timedelta(days=8),
    )


@pytest.fixture
def part_in_stock(place, stock, crew):
    """A verified order of two products, one in stock and one not: backordered."""
    here, missing = ProductFactory(sku="IN-STOCK"), ProductFactory(sku="MISSING")
    stock(here, 5)
    order = place(lines=[(here, 2), (missing, 1)], stocked=False)
    from orders import demo

    order = demo.advance(order, S.VERIFIED, crew=crew)
    return late(services_check(order, crew))


@pytest.mark.django_db
def test_the_customer_takes_what_is_in_stock_now(part_in_stock, staff):
    order = part_in_stock
    case = explained(order, staff)
    assert delays.choices_for(case, order) == ["wait", "partial", "cancel"]
    delays.delay_choose(delay=case, choice=Delay.Choice.PARTIAL)
    order.refresh_from_db()
    child = Order.objects.get(split_from=order)
    assert order.status == S.ALLOCATED  # the rest goes on
    assert [line.sku for line in order.lines.all()] == ["IN-STOCK"]
    assert child.status == S.BACKORDERED
    assert [line.sku for line in child.lines.all()] == ["MISSING"]
    [answer] = facts_of(order, T.DELAY_ANSWERED)
    assert answer.actor_kind == "customer" and answer.data["split_order_id"] == child.pk
    assert order.events.filter(type=T.SPLIT_OFF, actor_kind="customer").exists()
    # answered once: a second click changes nothing, another choice is refused
    delays.delay_choose(delay=case, choice=Delay.Choice.PARTIAL)
    with pytest.raises(InvalidOrder, match="already answered"):
        delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL)
    assert Order.objects.filter(split_from=order).count() == 1


@pytest.mark.django_db
def test_the_customer_cancels_with_a_full_refund_exactly_once(
    order_in, staff, django_capture_on_commit_callbacks
):
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    with django_capture_on_commit_callbacks(execute=True):
        delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL)
        delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    refunded = Refund.objects.filter(order=order).aggregate(total=Sum("amount"))[
        "total"
    ]
    assert refunded == order.total
    assert order.amount_held == Decimal("0.00")


@pytest.mark.django_db
def test_waiting_is_recorded_and_choices_not_offered_are_refused(order_in, staff):
    order = late(order_in(S.ALLOCATED))
    case = explained(order, staff)
    assert delays.choices_for(case, order) == ["wait", "cancel"]  # nothing backordered
    with pytest.raises(InvalidOrder, match="not possible"):
        delays.delay_choose(delay=case, choice=Delay.Choice.PARTIAL)
    with pytest.raises(InvalidOrder, match="not possible"):
        delays.delay_choose(delay=case, choice="refund-me-twice")
    delays.delay_choose(delay=case, choice=Delay.Choice.WAIT)
    case.refresh_from_db()
    order.refresh_from_db()
    assert case.choice == "wait" and order.status == S.ALLOCATED


@pytest.mark.django_db
def test_nothing_is_asked_before_staff_explain(order_in):
    order = late(order_in(S.ALLOCATED))
    case = open_case(order)
    assert delays.choices_for(case, order) == []
    with pytest.raises(InvalidOrder):
        delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_cancel_from_two_tabs_refunds_once(order_in, staff):
    # two tabs cancel while a third says "wait": whichever answer lands first is
    # the answer; a cancellation refunds exactly once
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    outcomes = race(
        lambda: delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL),
        lambda: delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL),
        lambda: delays.delay_choose(delay=case, choice=Delay.Choice.WAIT),
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, InvalidOrder) for e in errors), errors
    order.refresh_from_db()
    case.refresh_from_db()
    assert len(facts_of(order, T.DELAY_ANSWERED)) == 1
    if case.choice == Delay.Choice.CANCEL:
        assert order.status == S.CANCELLED
        assert Refund.objects.filter(order=order).count() == 1
    else:
        assert case.choice == Delay.Choice.WAIT and order.status == S.PAID
        assert not Refund.objects.filter(order=order).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_customers_cancel_and_a_warehouse_shipment_race(order_in, staff, crew):
    # two different services on one order: the customer cancels from the delay
    # notice while the warehouse ships it
    from orders.fulfilment import services as fulfilment

    order = late(order_in(S.PACKED))
    case = explained(order, staff)
    outcomes = race(
        lambda: delays.delay_choose(delay=case, choice=Delay.Choice.CANCEL),
        lambda: fulfilment.order_ship(
            order=Order.objects.get(pk=order.pk),
            actor=crew.warehouse,
            carrier="DHL",
            tracking_number="RACE1",
        ),
    )
    order.refresh_from_db()
    case.refresh_from_db()
    if order.status == S.CANCELLED:
        assert isinstance(outcomes[1], Exception) and case.choice == "cancel"
        assert Refund.objects.filter(order=order).count() == 1
    else:
        assert order.status == S.SHIPPED and isinstance(outcomes[0], Exception)
        assert case.choice == "" and not Refund.objects.filter(order=order).exists()


# ------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_status_page_shows_the_delay_and_takes_the_choice(
    part_in_stock, staff, client
):
    order = part_in_stock
    case = explained(order, staff)
    page = client.get(reverse("track:order", args=[order.tracking_token]))
    html = page.content.decode()
    assert "Your order is delayed" in html and "waiting for more" in html
    assert 'value="partial"' in html
    # a stale page (another case id) is refused, nothing chosen
    url = reverse("track:delay", args=[order.tracking_token])
    client.post(url, {"delay": case.pk + 1000, "choice": "wait"})
    case.refresh_from_db()
    assert case.choice == ""
    answer = client.post(url, {"delay": case.pk, "choice": "partial"}, follow=True)
    assert "We have your answer" in answer.content.decode()
    case.refresh_from_db()
    assert case.choice == "partial" and Order.objects.filter(split_from=order).exists()


@pytest.mark.django_db
def test_staff_explain_and_close_from_the_case_page(part_in_stock, staff, client):
    order = part_in_stock
    case = open_case(order)
    client.force_login(staff[Role.CLERK])
    listing = client.get(reverse("orders:delays")).content.decode()
    assert order.number in listing
    page = client.get(reverse("orders:delay", args=[case.pk])).content.decode()
    # pre-filled with what the system knows: the missing SKU and the cause
    assert "MISSING: 1 missing" in page
    assert 'value="{}" selected'.format(cause("stock_shortage").pk) in page
    new_date = timezone.localdate() + timedelta(days=9)
    bad = client.post(
        reverse("orders:delay_explain", args=[case.pk]),
        {"cause": cause("stock_shortage").pk, "new_date": "12345678901234"},
    )
    assert bad.status_code == 200 and "valid date" in bad.content.decode()
    done = client.post(
        reverse("orders:delay_explain", args=[case.pk]),
        {"cause": cause("stock_shortage").pk, "new_date": new_date.isoformat()},
        follow=True,
    )
    assert "The customer is told" in done.content.decode()
    order_page = client.get(reverse("orders:detail", args=[order.number])).content
    assert b"Open the delay case" in order_page
    client.post(
        reverse("orders:delay_close", args=[case.pk]),
        {"root_cause": "Reorder point too low for the season."},
    )
    case.refresh_from_db()
    assert not case.is_open


@pytest.mark.django_db
def test_the_warehouse_may_read_cases_but_not_explain_them(order_in, staff, client):
    case = open_case(late(order_in(S.ALLOCATED)))
    client.force_login(staff[Role.WAREHOUSE])
    assert client.get(reverse("orders:delay", args=[case.pk])).status_code == 200
    refused = client.post(
        reverse("orders:delay_explain", args=[case.pk]),
        {
            "cause": cause("carrier_delay").pk,
            "new_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.explained_at is None


@pytest.mark.django_db
def test_the_dashboard_card_counts_cases_to_explain(order_in, staff, client):
    late(order_in(S.ALLOCATED))
    late(order_in(S.ALLOCATED))
    delays.delays_scan()
    client.force_login(staff[Role.MANAGER])
    html = client.get(reverse("staff:dashboard")).content.decode()
    assert 'data-card="delays"' in html
    listing = client.get(reverse("orders:delays") + "?show=to_explain")
    assert listing.context["page"].paginator.count == 2


@pytest.mark.django_db
def test_the_scan_command(order_in, capsys):
    from django.core.management import call_command

    late(order_in(S.ALLOCATED))
    call_command("scan_delays")
    assert "1 delay cases opened" in capsys.readouterr().out
    call_command("scan_delays")
    assert "0 delay cases opened" in capsys.readouterr().out
    assert OutboxMessage.objects.filter(kind="delay_digest").count() == 1


# ------------------------------------------------------------------------------
# Review and corrective actions
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_closing_with_a_corrective_action_needs_an_owner_and_a_date(order_in, staff):
    case = open_case(late(order_in(S.ALLOCATED)))
    with pytest.raises(InvalidOrder, match="owner"):
        delays.delay_close(
            delay=case,
            actor=staff[Role.CLERK],
            root_cause="The roastery was closed for a week.",
            action="Keep two weeks of stock of the house blend",
        )
    with pytest.raises(InvalidOrder, match="past"):
        delays.delay_close(
            delay=case,
            actor=staff[Role.CLERK],
            root_cause="The roastery was closed for a week.",
            action="Keep two weeks of stock of the house blend",
            owner=staff[Role.WAREHOUSE],
            due_on=timezone.localdate() - timedelta(days=1),
        )
    case.refresh_from_db()
    assert case.is_open  # nothing half-written
    delays.delay_close(
        delay=case,
        actor=staff[Role.CLERK],
        root_cause="The roastery was closed for a week.",
        action="Keep two weeks of stock of the house blend",
        owner=staff[Role.WAREHOUSE],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    [action] = case.actions.all()
    assert action.owner == staff[Role.WAREHOUSE] and action.done_at is None


@pytest.mark.django_db
def test_a_due_action_is_reminded_once_a_day_until_done(
    staff, settings, django_capture_on_commit_callbacks
):
    from tests.factories.orders import CorrectiveActionFactory

    owner = staff[Role.WAREHOUSE]
    owner.email = "wh@example.com"
    owner.save()
    action = CorrectiveActionFactory(owner=owner, due_on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan()
        delays.delays_scan()

    def reminders():
        return [m for m in mail.outbox if m.to == ["wh@example.com"]]

    assert len(reminders()) == 1
    assert action.description[:30] in reminders()[0].subject
    # the next day, reminded again; once done, never
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan(now=timezone.now() + timedelta(days=1))
    assert len(reminders()) == 2
    with pytest.raises(TransitionForbidden):
        delays.corrective_action_done(action=action, actor=staff[Role.CLERK])
    delays.corrective_action_done(action=action, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan(now=timezone.now() + timedelta(days=2))
    assert len(reminders()) == 2


@pytest.mark.django_db
def test_the_review_counts_cases_by_cause_product_and_week(
    order_in, staff, client, django_assert_max_num_queries
):
    from orders.delays.selectors import delay_review

    beans = ProductFactory(sku="REV-BEANS")
    orders = [late(order_in(S.ALLOCATED, lines=[(beans, 1)])) for _n in range(3)]
    late(order_in(S.ALLOCATED))
    delays.delays_scan()
    for order in orders:
        delays.delay_explain(
            delay=Delay.objects.get(order=order),
            actor=staff[Role.CLERK],
            cause=cause("supplier_late"),
            new_date=timezone.localdate() + timedelta(days=4),
        )
    with django_assert_max_num_queries(12):
        review = delay_review(weeks=4)
    assert review["cases"] == 4 and review["open"] == 4
    by_cause = {r["key"]: r["cases"] for r in review["tables"]["cause"]}
    assert by_cause == {"Supplier late": 3, "not explained yet": 1}
    [beans_row] = [r for r in review["tables"]["product"] if r["key"] == "REV-BEANS"]
    assert beans_row["cases"] == 3 and beans_row["repeat"]  # three times: highlighted
    assert beans_row["worst"] >= beans_row["average"] >= 1
    assert sum(r["cases"] for r in review["tables"]["week"]) == 4
    # managers only; the page, a CSV per table
    client.force_login(staff[Role.CLERK])
    assert client.get(reverse("orders:delay_review")).status_code == 403
    client.force_login(staff[Role.MANAGER])
    page = client.get(reverse("orders:delay_review") + "?weeks=abc").content.decode()
    assert "REV-BEANS" in page and "chart.min.js" in page and "data-repeat" in page
    csv = client.get(reverse("orders:delay_review") + "?csv=product")
    body = b"".join(csv.streaming_content).decode()
    assert "REV-BEANS,3," in body and "compensation" in body.splitlines()[0]


# ------------------------------------------------------------------------------
# Keeping the line open
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_customer_hears_from_us_while_the_case_is_open(
    order_in, staff, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_STAFF_ALERT_EMAILS = ["team@example.com"]
    settings.ORDERS_DELAY_UPDATE_DAYS = 3
    order = late(order_in(S.ALLOCATED))
    case = explained(order, staff)
    due = case.next_update_at
    assert due - case.explained_at == timedelta(days=3)
    # a day before: staff are reminded, once
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan(now=due - timedelta(hours=12))
        delays.delays_scan(now=due - timedelta(hours=11))
    assert len(facts_of(order, T.DELAY_UPDATE_DUE)) == 1
    assert len([m for m in mail.outbox if "due an update" in m.subject]) == 1
    # nobody wrote: when due, the customer gets a short note, once
    with django_capture_on_commit_callbacks(execute=True):
        delays.delays_scan(now=due + timedelta(minutes=1))
        delays.delays_scan(now=due + timedelta(minutes=2))
    [note] = emails(order, Kind.DELAY_UPDATE)
    assert "still working on your delayed order" in note.body_text
    [sent] = facts_of(order, T.DELAY_UPDATE_SENT)
    assert sent.customer_visible
    case.refresh_from_db()
    assert case.next_update_at == due + timedelta(minutes=1, days=3)


@pytest.mark.django_db
def test_a_staff_reply_counts_as_the_update(order_in, staff):
    from orders.customer import services as customer_side

    order = late(order_in(S.ALLOCATED))
    case = explained(order, staff)
    # told two days ago; a clerk writes today
    Delay.objects.filter(pk=case.pk).update(
        explained_at=case.explained_at - timedelta(days=2),
        next_update_at=case.next_update_at - timedelta(days=2),
    )
    due = case.next_update_at - timedelta(days=2)
    customer_side.message_from_staff(
        order=order, body="The roastery ships on Monday.", actor=staff[Role.CLERK]
    )
    delays.delays_scan(now=due + timedelta(minutes=1))
    assert not emails(order, Kind.DELAY_UPDATE).exists()
    case.refresh_from_db()
    assert case.next_update_at > due  # counted from the reply


# ------------------------------------------------------------------------------
# Compensation
# ------------------------------------------------------------------------------
OFFER = CompensationOffer.Status


@pytest.mark.django_db
def test_the_policy_suggests_offers_for_the_situation(order_in, staff):
    # the starting policy: 5.00 code from 2 days late; 10 % credit from 5 days on
    # orders of 50 or more; a 10.00 code for a customer delayed before
    from orders.delays.models import CompensationRule

    order = late(order_in(S.PAID))
    CompensationRule.objects.filter(kind="store_credit").update(
        min_order_total=order.total
    )
    case = explained(order, staff)
    offers = {(s.kind, s.value) for s in comp.compensation_suggestions(case)}
    assert offers == {("discount_code", D("5.00"))}
    # a week later
    DelaySlip.objects.filter(delay=case).update(
        deadline=timezone.now() - timedelta(days=8)
    )
    offers = {(s.kind, s.value) for s in comp.compensation_suggestions(case)}
    assert offers == {
        ("discount_code", D("5.00")),
        ("store_credit", (order.total / 10).quantize(D("0.01"))),
    }
    # a smaller order: no credit; the same customer late again: the bigger code
    CompensationRule.objects.filter(kind="store_credit").update(
        min_order_total=order.total + 1
    )
    assert "store_credit" not in {s.kind for s in comp.compensation_suggestions(case)}
    again = explained(late(order_in(S.PAID, customer=order.customer)), staff)
    offers = {(s.kind, s.value) for s in comp.compensation_suggestions(again)}
    assert ("discount_code", D("10.00")) in offers


@pytest.mark.django_db
def test_an_offer_above_the_limit_waits_for_a_second_person(order_in, staff):
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    clerk, manager = staff[Role.CLERK], staff[Role.MANAGER]
    small = comp.compensation_offer(
        delay=case, actor=clerk, kind="store_credit", value=D("5")
    )
    assert small.status == OFFER.OFFERED
    big = comp.compensation_offer(
        delay=case, actor=clerk, kind="store_credit", value=D("40")
    )
    assert big.status == OFFER.PENDING
    assert (
        facts_of(order, T.COMPENSATION_PROPOSED)
        and not facts_of(order, T.COMPENSATION_PROPOSED)[0].customer_visible
    )
    with pytest.raises(TransitionForbidden):
        comp.compensation_approve(offer=big, actor=clerk)  # not a manager
    own = comp.compensation_offer(
        delay=case, actor=manager, kind="store_credit", value=D("60")
    )
    assert own.status == OFFER.OFFERED  # managers have no limit
    from tests.factories.orders import StaffFactory

    second = StaffFactory(username="manager2", role=Role.MANAGER)
    comp.compensation_approve(offer=big, actor=second)
    big.refresh_from_db()
    assert big.status == OFFER.OFFERED and big.approved_by == second
    with pytest.raises(TransitionForbidden):
        comp.compensation_offer(
            delay=case, actor=staff[Role.WAREHOUSE], kind="store_credit", value=D("1")
        )
    for bad in (D("0"), D("-5"), D("1e12")):
        with pytest.raises(InvalidOrder):
            comp.compensation_offer(
                delay=case, actor=clerk, kind="store_credit", value=bad
            )
    with pytest.raises(InvalidOrder):
        comp.compensation_offer(
            delay=case, actor=clerk, kind="partial_refund", value=order.total + 1
        )


@pytest.mark.django_db
def test_the_four_eyes_rule_holds_for_managers_too(order_in, staff):
    CompensationLimit.objects.filter(role=Role.CLERK).update(max_value=D("1.00"))
    case = explained(late(order_in(S.PAID)), staff)
    offer = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="discount_code", value=D("3")
    )
    assert offer.status == OFFER.PENDING
    # the clerk becomes a manager too: still not the one to approve their own offer
    staff[Role.CLERK].groups.add(*staff[Role.MANAGER].groups.all())
    promoted = type(staff[Role.CLERK]).objects.get(pk=staff[Role.CLERK].pk)
    with pytest.raises(TransitionForbidden, match="other than"):
        comp.compensation_approve(offer=offer, actor=promoted)


@pytest.mark.django_db
def test_accepting_a_code_issues_it_and_withdraws_the_rest(order_in, staff, client):
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    code = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="discount_code", value=D("5")
    )
    credit = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="store_credit", value=D("5")
    )
    page = client.get(
        reverse("track:order", args=[order.tracking_token])
    ).content.decode()
    assert "To make up for the delay" in page and page.count("Accept") >= 2
    url = reverse("track:compensation", args=[order.tracking_token])
    client.post(url, {"offer": code.pk})
    client.post(url, {"offer": code.pk})  # a double click
    refused = client.post(url, {"offer": credit.pk}, follow=True).content.decode()
    assert "no longer open" in refused
    code.refresh_from_db()
    credit.refresh_from_db()
    assert code.status == OFFER.ACCEPTED and code.cost == D("5.00")
    assert code.discount_code.value == D("5.00")
    assert code.discount_code.customer == order.customer
    assert credit.status == OFFER.WITHDRAWN
    assert code.discount_code.code in refused  # shown on the page
    assert len(facts_of(order, T.COMPENSATION_ACCEPTED)) == 1


@pytest.mark.django_db
def test_a_partial_refund_and_store_credit_go_through_the_payments_service(
    order_in, staff, django_capture_on_commit_callbacks
):
    from orders.money.payments import store_credit_balance

    order = late(order_in(S.PAID))
    case = explained(order, staff)
    refund = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="partial_refund", value=D("3")
    )
    with django_capture_on_commit_callbacks(execute=True):
        comp.compensation_accept(offer=refund)
        comp.compensation_accept(offer=refund)
    [made] = Refund.objects.filter(order=order)
    assert made.amount == D("3.00") and made.status == "succeeded"
    other = explained(late(order_in(S.PAID, customer=order.customer)), staff)
    credit = comp.compensation_offer(
        delay=other, actor=staff[Role.CLERK], kind="store_credit", value=D("4")
    )
    comp.compensation_accept(offer=credit)
    assert store_credit_balance(customer=order.customer) == D("4.00")


@pytest.mark.django_db
def test_a_gift_joins_the_order_with_its_stock_allocated(order_in, staff, stock):
    from inventory.models import StockItem

    gift = ProductFactory(sku="GIFT-MUG", unit_price=D("8.00"))
    stock(gift, 1)
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    offer = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="gift", product=gift
    )
    assert offer.value == D("8.00")
    total = order.total
    comp.compensation_accept(offer=offer)
    order.refresh_from_db()
    line = order.lines.get(sku="GIFT-MUG")
    assert line.unit_price == 0 and line.price_source == "manual" and line.price_reason
    assert order.total == total
    assert StockItem.objects.get(product=gift).allocated == 1
    # out of stock: the next gift is refused with nothing written
    other = explained(late(order_in(S.PAID)), staff)
    second = comp.compensation_offer(
        delay=other, actor=staff[Role.CLERK], kind="gift", product=gift
    )
    with pytest.raises(InvalidOrder, match="gift"):
        comp.compensation_accept(offer=second)
    second.refresh_from_db()
    assert second.status == OFFER.OFFERED and not other.order.lines.filter(
        sku="GIFT-MUG"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_offers_accepted_at_once_pay_out_once(order_in, staff):
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    first = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="partial_refund", value=D("2")
    )
    second = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="store_credit", value=D("2")
    )
    race(
        lambda: comp.compensation_accept(offer=first),
        lambda: comp.compensation_accept(offer=first),
        lambda: comp.compensation_accept(offer=second),
    )
    accepted = CompensationOffer.objects.filter(delay=case, status=OFFER.ACCEPTED)
    assert accepted.count() == 1
    from orders.money.models import StoreCreditEntry

    payouts = (
        Refund.objects.filter(order=order).count()
        + StoreCreditEntry.objects.filter(customer=order.customer, amount__gt=0).count()
    )
    assert payouts == 1


@pytest.mark.django_db
def test_staff_offer_from_the_case_page(order_in, staff, client):
    order = late(order_in(S.PAID))
    case = explained(order, staff)
    client.force_login(staff[Role.CLERK])
    page = client.get(reverse("orders:delay", args=[case.pk])).content.decode()
    assert "The policy suggests" in page
    rule = comp.compensation_suggestions(case)[0].rule
    client.post(reverse("orders:compensation_offer", args=[case.pk]), {"rule": rule.pk})
    bad = client.post(
        reverse("orders:compensation_offer", args=[case.pk]),
        {"kind": "store_credit", "value": "4006381333931"},
    )
    assert bad.status_code == 200 and "At most" in bad.content.decode()
    client.post(
        reverse("orders:compensation_offer", args=[case.pk]),
        {"kind": "gift", "gift_sku": "NO-SUCH"},
    )
    assert [o.kind for o in case.offers.all()] == ["discount_code"]


@pytest.mark.django_db
def test_the_review_counts_the_compensation_given(order_in, staff):
    from orders.delays.selectors import delay_review

    case = explained(late(order_in(S.PAID)), staff)
    offer = comp.compensation_offer(
        delay=case, actor=staff[Role.CLERK], kind="store_credit", value=D("4.50")
    )
    comp.compensation_offer(  # offered, never accepted: costs nothing
        delay=case, actor=staff[Role.CLERK], kind="discount_code", value=D("9")
    )
    assert delay_review()["cost"] == 0
    comp.compensation_accept(offer=offer)
    review = delay_review()
    assert review["cost"] == D("4.50")
    [row] = review["tables"]["cause"]
    assert row["key"] == "Stock shortage" and row["cost"] == D("4.50")


@pytest.mark.django_db
def test_a_promise_moved_while_the_scan_runs_is_not_a_slip(order_in, staff):
    # the scan read the order late; before it locked the row, a clerk moved the
    # promise (a receipt, a new date): nothing is recorded against the old one
    from orders.delays.calendar import Calendar

    order = late(order_in(S.ALLOCATED))
    [slip] = delays.late_orders(now=timezone.now(), calendar=Calendar.load())
    delays.order_promise_change(
        order=order,
        actor=staff[Role.CLERK],
        ship_by=timezone.localdate() + timedelta(days=2),
        estimated_delivery=timezone.localdate() + timedelta(days=4),
        reason="Supplier confirmed Friday",
    )
    assert delays._record_slip(slip, now=timezone.now()) is None
    assert not Delay.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_orders_close_to_a_deadline_are_at_risk(order_in, place):
    from orders.delays.calendar import Calendar
    from orders.delays.selectors import at_risk

    calendar = Calendar.load()
    due = order_in(S.ALLOCATED)
    Order.objects.filter(pk=due.pk).update(
        ship_by=calendar.next_business_day(timezone.localdate())
    )
    fine = order_in(S.ALLOCATED)
    Order.objects.filter(pk=fine.pk).update(
        ship_by=timezone.localdate() + timedelta(days=20)
    )
    waiting = place()  # placed: at risk after 2 business hours, late after 4
    Order.objects.filter(pk=waiting.pk).update(
        ship_by=timezone.localdate() + timedelta(days=20)
    )
    now = calendar.add_business_hours(waiting.status_changed_at, 3)
    found = {row["order"].pk for row in at_risk(now=now)}
    assert due.pk in found and waiting.pk in found and fine.pk not in found
    later = calendar.add_business_hours(waiting.status_changed_at, 5)
    assert waiting.pk not in {row["order"].pk for row in at_risk(now=later)}


@pytest.mark.django_db
def test_no_delay_updates_once_the_order_has_arrived(order_in, staff, crew, client):
    from orders.fulfilment import services as fulfilment

    order = late(order_in(S.PACKED))
    case = explained(order, staff)
    order = fulfilment.order_ship(
        order=Order.objects.get(pk=order.pk),
        actor=crew.warehouse,
        carrier="DHL",
        tracking_number="ARRIVED1",
    )
    fulfilment.order_mark_delivered(order=order, actor=crew.warehouse)
    # the case is still open (staff have not closed it): the customer is not told
    # "still on its way", and the status page no longer shows the delay
    delays.delays_scan(now=case.next_update_at + timedelta(minutes=1))
    assert not emails(order, Kind.DELAY_UPDATE).exists()
    case.refresh_from_db()
    assert case.is_open and case.next_update_at is None
    page = client.get(reverse("track:order", args=[order.tracking_token]))
    assert "data-delay>" not in page.content.decode()  # the box; the history keeps it

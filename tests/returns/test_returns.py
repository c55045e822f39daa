"""Returns: the policy's checks, the RMA lifecycle with permissions, inspection
grades → refund amounts, restocking through the ledger, refunds once, emails."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockItem, StockMovement
from orders.core.models import OrderStatus as S
from orders.events.models import OrderEvent
from orders.exceptions import AlreadyRecorded, InvalidOrder, TransitionForbidden
from orders.money.models import Refund
from orders.money.position import money_position
from orders.notifications.models import Notification
from orders.permissions import Role
from ordersite.actors import CUSTOMER
from returns import policy as rules
from returns import services
from returns.models import RS, Grade, Return, ReturnPolicy
from returns.services import Asked, Inspection, ReturnRefused
from tests.factories.inventory import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(order_in):
    """A delivered, paid order of 4 units of one product (unit price 10.00)."""

    def make(quantity=4, **kwargs):
        product = ProductFactory(unit_price=D("10.00"), **kwargs)
        return order_in(S.DELIVERED, lines=[(product, quantity)])

    return make


def ask(order, quantity=1, reason="no_longer_needed", text=""):
    line = order.lines.get()
    return [Asked(line_id=line.pk, quantity=quantity, reason=reason, reason_text=text)]


def request(order, quantity=1, reason="no_longer_needed", **kwargs):
    kwargs.setdefault("outcome", "refund")
    if kwargs["outcome"] == "exchange":
        kwargs.setdefault("wish", "")
    kwargs.setdefault("actor", CUSTOMER)
    return services.return_request(
        order=order, asked=ask(order, quantity, reason), **kwargs
    )


def received(rma, staff, who=Role.WAREHOUSE):
    return services.return_receive(
        rma=rma,
        actor=staff[who],
        arrived={line.pk: line.quantity for line in rma.lines.all()},
    )


def inspected(rma, staff, grade=Grade.A, disposition="restock", warehouse=None):
    from inventory.models import Warehouse

    warehouse = warehouse or Warehouse.objects.get(is_default=True)
    return services.return_inspect(
        rma=rma,
        actor=staff[Role.RETURNS],
        found={
            line.pk: Inspection(
                grade=grade, disposition=disposition, warehouse=warehouse
            )
            for line in rma.lines.all()
            if line.received_quantity
        },
    )


def paid_per_unit(order):
    line = order.lines.get()
    return rules.line_paid(line) / line.quantity


# ------------------------------------------------------------------------------
# The policy
# ------------------------------------------------------------------------------
def test_a_request_inside_the_policy_is_approved_at_once_with_an_rma_number(
    delivered,
):
    order = delivered()
    rma = request(order, 2)
    assert rma.status == RS.APPROVED
    assert rma.number == f"RMA-{rma.pk:06d}"
    assert rma.lines.get().quantity == 2
    types = list(order.events.values_list("type", flat=True))
    assert "return_requested" in types and "return_approved" in types


def test_nothing_can_be_returned_before_delivery(order_in):
    order = order_in(S.SHIPPED)
    with pytest.raises(ReturnRefused, match="once the order has been delivered"):
        request(order)
    assert not Return.objects.exists()


def test_never_more_than_delivered_minus_already_returned(delivered):
    order = delivered(4)
    request(order, 3)
    with pytest.raises(ReturnRefused, match="at most 1"):
        request(order, 2)
    request(order, 1)
    with pytest.raises(ReturnRefused, match="already being returned in full"):
        request(order, 1)
    assert Return.objects.count() == 2


def test_a_cancelled_or_rejected_return_frees_its_units_again(delivered, staff):
    order = delivered(2)
    rma = request(order, 2)
    services.return_cancel(rma=rma, actor=CUSTOMER)
    again = request(order, 2)
    assert again.status == RS.APPROVED


@pytest.mark.parametrize("quantity", [0, -1, 10**12])
def test_impossible_quantities_are_refused(delivered, quantity):
    order = delivered(4)
    with pytest.raises(ReturnRefused):
        request(order, quantity)


def test_a_line_of_another_order_is_refused(delivered):
    order, other = delivered(), delivered()
    asked = ask(other)
    with pytest.raises(ReturnRefused, match="not on this order"):
        services.return_request(
            order=order, asked=asked, outcome="refund", actor=CUSTOMER
        )


def test_other_needs_words_and_an_outcome_must_be_on_offer(delivered):
    order = delivered()
    with pytest.raises(ReturnRefused, match="in a few words"):
        request(order, 1, reason="other")
    policy = ReturnPolicy.current()
    policy.allow_store_credit = False
    policy.save()
    with pytest.raises(ReturnRefused, match="outcomes on offer"):
        request(order, 1, outcome="store_credit")


def _delivered_at(order, moment):
    type(order).objects.filter(pk=order.pk).update(delivered_at=moment)
    order.refresh_from_db()


def test_the_window_ends_at_midnight_in_the_customers_time_zone(delivered):
    """Delivered 23:30 in Auckland on 1 March (10:30 UTC): 30 days → the last day is
    31 March, Auckland; at 23:59 there it is still open, at 00:00 it waits for a person."""
    order = delivered(4)
    order.customer.time_zone = "Pacific/Auckland"
    order.customer.save()
    zone = ZoneInfo("Pacific/Auckland")
    _delivered_at(order, datetime(2026, 3, 1, 23, 30, tzinfo=zone))
    policy = ReturnPolicy.current()
    assert rules.last_day(order, policy).isoformat() == "2026-03-31"

    def verdict(local):
        return rules.check(
            order=order,
            policy=policy,
            asked=ask(order),
            outcome="refund",
            now=local.replace(tzinfo=zone),
        )

    assert verdict(datetime(2026, 3, 31, 23, 59, 59)).review == []
    assert verdict(datetime(2026, 4, 1, 0, 0)).review == ["late"]
    # The same moment in the shop's zone (UTC) is still 31 March 11:00: the
    # customer's calendar decides, not the shop's.
    assert verdict(datetime(2026, 4, 14, 23, 59)).refusals == []
    assert verdict(datetime(2026, 4, 15, 0, 0)).refused  # past the 14 grace days


def test_a_late_request_waits_for_a_person_who_approves_or_rejects(delivered, staff):
    order = delivered()
    _delivered_at(order, timezone.now() - timedelta(days=35))
    rma = request(order)
    assert rma.status == RS.REQUESTED and rma.review_reasons == ["late"]
    with pytest.raises(InvalidOrder, match="why"):
        services.return_decide(rma=rma, actor=staff[Role.RETURNS], approve=False)
    with pytest.raises(TransitionForbidden):
        services.return_decide(rma=rma, actor=staff[Role.WAREHOUSE], approve=True)
    services.return_decide(
        rma=rma, actor=staff[Role.RETURNS], approve=False, note="Used for a season."
    )
    rma.refresh_from_db()
    assert rma.status == RS.REJECTED and rma.decision_note == "Used for a season."
    with pytest.raises(InvalidOrder, match="rejected"):
        services.return_decide(rma=rma, actor=staff[Role.RETURNS], approve=True)


def test_a_non_returnable_product_or_category_goes_to_a_person(delivered):
    order = delivered(returnable=False)
    assert request(order).review_reasons == ["product"]
    policy = ReturnPolicy.current()
    policy.non_returnable_categories = "Hygiene\nGift cards"
    policy.save()
    other = delivered(category="gift cards")
    assert request(other).review_reasons == ["category"]


def test_a_double_submit_opens_one_return(delivered):
    order = delivered()
    first = request(order, submission_key="abc123")
    with pytest.raises(AlreadyRecorded) as caught:
        request(order, submission_key="abc123")
    assert caught.value.record == first
    assert Return.objects.count() == 1


# ------------------------------------------------------------------------------
# Receiving, inspection, refunds
# ------------------------------------------------------------------------------
def test_the_common_case_refunds_in_full_and_restocks_through_the_ledger(
    delivered, staff, django_capture_on_commit_callbacks
):
    order = delivered(4)
    rma = request(order, 2)
    item = StockItem.objects.get(product=order.lines.get().product)
    before = item.on_hand
    rma = received(rma, staff)
    rma = inspected(rma, staff)
    item.refresh_from_db()
    assert item.on_hand == before + 2
    movement = StockMovement.objects.get(reference=rma.number)
    assert (
        movement.kind == StockMovement.Kind.RETURN_RESTOCK
        and movement.on_hand_delta == 2
    )
    assert rma.refund_amount == 2 * paid_per_unit(order)
    held = money_position(order).held
    with django_capture_on_commit_callbacks(execute=True):
        rma = services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    assert rma.status == RS.REFUNDED
    refund = Refund.objects.get(order=order)
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.amount == rma.refund_amount
    assert money_position(order).held == held - rma.refund_amount


@pytest.mark.parametrize(
    ("grade", "reason", "share"),
    [
        (Grade.A, "no_longer_needed", D("1")),
        (Grade.B, "no_longer_needed", D("0.8")),
        (Grade.C, "no_longer_needed", D("0.5")),
        (Grade.SCRAP, "no_longer_needed", D("0")),
        (Grade.SCRAP, "damaged", D("1")),  # our fault: all of it
        (Grade.C, "wrong_item", D("1")),
    ],
)
def test_grades_decide_the_refund_unless_it_is_our_fault(
    delivered, staff, grade, reason, share
):
    order = delivered(4)
    rma = received(request(order, 2, reason=reason), staff)
    rma = inspected(rma, staff, grade=grade, disposition="write_off")
    assert rma.refund_amount == rules.cents(2 * paid_per_unit(order) * share)


def test_the_restocking_fee_is_kept_only_when_it_is_not_our_fault(delivered, staff):
    policy = ReturnPolicy.current()
    policy.restocking_fee_percent = D("10")
    policy.save()
    order = delivered(4)
    mine = inspected(received(request(order, 1), staff), staff)
    theirs = inspected(received(request(order, 1, reason="defective"), staff), staff)
    unit = paid_per_unit(order)
    assert mine.refund_amount == rules.cents(unit * D("0.9"))
    assert theirs.refund_amount == rules.cents(unit)


def test_units_of_a_line_never_refund_more_than_the_line(delivered, staff):
    order = delivered(3)
    line = order.lines.get()
    paid = rules.line_paid(line)
    total = D("0")
    for _ in range(3):
        rma = inspected(
            received(request(order, 1), staff), staff, disposition="write_off"
        )
        total += rma.refund_amount
    assert total == paid


def test_the_inspector_is_not_the_receiver_when_the_policy_says_so(delivered, staff):
    order = delivered()
    rma = received(request(order), staff, who=Role.RETURNS)
    with pytest.raises(TransitionForbidden, match="another person"):
        inspected(rma, staff)
    policy = ReturnPolicy.current()
    policy.four_eyes = False
    policy.save()
    assert inspected(rma, staff).status == RS.INSPECTED


def test_damaged_goods_never_go_back_on_the_shelf(delivered, staff):
    order = delivered()
    rma = received(request(order), staff)
    with pytest.raises(InvalidOrder, match="cannot go back on the shelf"):
        inspected(rma, staff, grade=Grade.SCRAP)
    assert Return.objects.get(pk=rma.pk).status == RS.RECEIVED
    assert not StockMovement.objects.filter(reference=rma.number).exists()


def test_receiving_records_what_arrived_and_a_missing_item(delivered, staff):
    order = delivered(4)
    rma = request(order, 3)
    line = rma.lines.get()
    with pytest.raises(InvalidOrder, match="between 0 and 3"):
        services.return_receive(
            rma=rma, actor=staff[Role.WAREHOUSE], arrived={line.pk: 4}
        )
    with pytest.raises(InvalidOrder, match="Nothing of RMA-.* arrived"):
        services.return_receive(
            rma=rma, actor=staff[Role.WAREHOUSE], arrived={line.pk: 0}
        )
    rma = services.return_receive(
        rma=rma, actor=staff[Role.WAREHOUSE], arrived={line.pk: 2}
    )
    rma = inspected(rma, staff)
    assert rma.refund_amount == 2 * paid_per_unit(order)


def test_who_may_do_what(delivered, staff):
    order = delivered()
    rma = request(order)
    with pytest.raises(TransitionForbidden):
        received(rma, staff, who=Role.VERIFIER)
    rma = received(rma, staff)
    with pytest.raises(TransitionForbidden):
        services.return_inspect(rma=rma, actor=staff[Role.WAREHOUSE], found={})
    rma = inspected(rma, staff)
    with pytest.raises(TransitionForbidden):
        services.return_set_amount(
            rma=rma, actor=staff[Role.RETURNS], amount=D("1"), reason="Goodwill"
        )
    with pytest.raises(TransitionForbidden):
        services.return_refund(rma=rma, actor=staff[Role.WAREHOUSE])
    # the customer cannot cancel once the parcel arrived
    with pytest.raises(InvalidOrder, match="cannot be cancelled"):
        services.return_cancel(rma=rma, actor=CUSTOMER)


def test_a_manager_sets_another_amount_with_a_reason(
    delivered, staff, django_capture_on_commit_callbacks
):
    order = delivered()
    rma = inspected(received(request(order), staff), staff, grade=Grade.B)
    manager = staff[Role.MANAGER]
    with pytest.raises(InvalidOrder, match="Say why"):
        services.return_set_amount(rma=rma, actor=manager, amount=D("5"), reason=" ")
    with pytest.raises(InvalidOrder, match="can still be refunded"):
        services.return_set_amount(
            rma=rma, actor=manager, amount=D("100000"), reason="Typo"
        )
    services.return_set_amount(
        rma=rma, actor=manager, amount=D("7.50"), reason="Loyal customer"
    )
    with django_capture_on_commit_callbacks(execute=True):
        rma = services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    assert Refund.objects.get(order=order).amount == D("7.50")
    assert order.events.filter(type="return_amount_set").exists()


def test_nothing_to_refund_closes_the_return(delivered, staff):
    order = delivered()
    rma = inspected(
        received(request(order), staff),
        staff,
        grade=Grade.SCRAP,
        disposition="write_off",
    )
    assert rma.refund_amount == 0
    rma = services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    assert rma.status == RS.CLOSED
    assert not Refund.objects.filter(order=order).exists()


def test_a_second_refund_submit_refunds_nothing_more(delivered, staff):
    order = delivered()
    rma = inspected(received(request(order), staff), staff)
    services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    with pytest.raises(AlreadyRecorded):
        services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    assert Refund.objects.filter(order=order).count() == 1


def test_store_credit_is_credit_not_money_back(
    delivered, staff, django_capture_on_commit_callbacks
):
    order = delivered()
    rma = inspected(received(request(order, outcome="store_credit"), staff), staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    refund = Refund.objects.get(order=order)
    assert refund.outcome == Refund.Outcome.STORE_CREDIT and refund.payment is None


# ------------------------------------------------------------------------------
# The customer is told at each step
# ------------------------------------------------------------------------------
def test_the_customer_is_emailed_at_each_step(
    delivered, staff, django_capture_on_commit_callbacks
):
    order = delivered()
    _delivered_at(order, timezone.now() - timedelta(days=33))

    def kinds():
        return list(
            Notification.objects.filter(order=order, kind__startswith="return_")
            .order_by("pk")
            .values_list("kind", flat=True)
        )

    rma = request(order)  # late: waits for a person
    assert kinds() == ["return_requested"]
    services.return_decide(rma=rma, actor=staff[Role.RETURNS], approve=True)
    rma = received(rma, staff)
    rma = inspected(rma, staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    assert kinds() == [
        "return_requested",
        "return_approved",
        "return_received",
        "return_inspected",
    ]
    approved = Notification.objects.get(order=order, kind="return_approved")
    assert rma.number in approved.body_text
    assert ReturnPolicy.current().return_address.splitlines()[0] in approved.body_text
    assert reverse("return_policy") in approved.body_text
    refunded = Notification.objects.get(order=order, kind="order_refunded")
    assert "10.00" in refunded.body_text or str(rma.refund_amount) in refunded.body_text


def test_an_approved_at_once_request_sends_one_email(delivered):
    order = delivered()
    request(order)
    assert list(
        Notification.objects.filter(
            order=order, kind__startswith="return_"
        ).values_list("kind", flat=True)
    ) == ["return_approved"]


def test_every_return_fact_reaches_the_timeline_with_words(delivered, staff):
    from orders.events.timeline import timeline

    order = delivered()
    rma = inspected(received(request(order), staff), staff)
    services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    staff_words = [e.text for e in timeline(order)]
    customer_words = [e.text for e in timeline(order, audience="customer")]
    assert any(rma.number in t and "refunded" in t for t in staff_words)
    assert any("we are refunding" in t for t in customer_words)
    assert (
        OrderEvent.objects.filter(order=order, type="return_inspected")
        .get()
        .data["lines"][0]["grade"]
        == "a"
    )


# ------------------------------------------------------------------------------
# Refund without a return; the customer's feedback
# ------------------------------------------------------------------------------
def test_an_item_not_worth_sending_back_is_refunded_and_kept(
    delivered, staff, django_capture_on_commit_callbacks
):
    order = delivered(4)
    rma = request(order, 1, reason="damaged")
    stock_before = StockItem.objects.get(product=order.lines.get().product).on_hand
    with pytest.raises(InvalidOrder, match="Say why"):
        services.return_keep(rma=rma, actor=staff[Role.RETURNS], reason="")
    with pytest.raises(TransitionForbidden):
        services.return_keep(rma=rma, actor=staff[Role.WAREHOUSE], reason="Cheap")
    rma = services.return_keep(
        rma=rma, actor=staff[Role.RETURNS], reason="Broken mug, not worth postage"
    )
    assert rma.status == RS.INSPECTED and rma.refund_amount == paid_per_unit(order)
    assert rma.lines.get().disposition == "kept"
    with django_capture_on_commit_callbacks(execute=True):
        services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    assert Refund.objects.get(order=order).amount == paid_per_unit(order)
    item = StockItem.objects.get(product=order.lines.get().product)
    assert item.on_hand == stock_before  # nothing came back to the shelf
    # a kept unit counts as settled for the next return's share of the line
    later = inspected(received(request(order, 3), staff), staff)
    assert later.refund_amount + rma.refund_amount == rules.line_paid(order.lines.get())


def test_the_customer_answers_two_questions_once_the_return_is_over(delivered, staff):
    order = delivered()
    rma = request(order)
    with pytest.raises(InvalidOrder, match="once it is over"):
        services.return_feedback(rma=rma, easy=True, resolved=True)
    rma = inspected(received(rma, staff), staff)
    services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    rma = services.return_feedback(rma=rma, easy=True, resolved=False, comment="Slow")
    assert rma.feedback_easy is True and rma.feedback_resolved is False
    with pytest.raises(AlreadyRecorded):
        services.return_feedback(rma=rma, easy=False, resolved=False)
    rma.refresh_from_db()
    assert rma.feedback_easy is True
    assert order.events.filter(type="return_feedback").count() == 1


# ------------------------------------------------------------------------------
# Exchanges
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("price", "to_pay", "refunded"),
    [("10.00", "0.00", "0.00"), ("20.00", "11.90", "0.00"), ("4.00", "0.00", "7.14")],
)
def test_an_exchange_places_a_linked_replacement_and_settles_the_difference(
    delivered, staff, price, to_pay, refunded, django_capture_on_commit_callbacks
):
    """The returned unit cost 11.90 (10.00 + 19 % tax): a replacement of the same
    value costs nothing, a dearer one leaves the difference to pay, a cheaper one
    refunds the rest. The credit pays the replacement once the refund is made."""
    order = delivered(2)
    assert paid_per_unit(order) == D("11.90")
    other = ProductFactory(unit_price=D(price))
    with pytest.raises(ReturnRefused, match="what you would like instead"):
        request(order, 1, outcome="exchange")
    rma = request(order, 1, outcome="exchange", wish="The same in blue")
    rma = inspected(received(rma, staff), staff)
    with django_capture_on_commit_callbacks(execute=True):
        rma = services.return_exchange(
            rma=rma,
            actor=staff[Role.RETURNS],
            replacements=[services.Replacement(product=other, quantity=1)],
        )
    assert rma.status == RS.EXCHANGED
    replacement = rma.replacement_order
    assert replacement.customer == order.customer
    assert [line.product for line in replacement.lines.all()] == [other]
    assert money_position(replacement).owed == D(to_pay)
    back = Refund.objects.filter(order=order, outcome="original_method")
    assert sum((r.amount for r in back), D("0")) == D(refunded)
    assert all(r.status == "succeeded" for r in Refund.objects.filter(order=order))
    event = order.events.get(type="return_exchanged")
    assert event.data["replacement_order"] == replacement.number
    # the customer is told what the exchange is, what the return paid and what is left
    told = Notification.objects.get(order=order, kind="return_exchanged").body_text
    assert replacement.number in told and f"{event.data['covered']} EUR of it" in told
    assert ("left to pay" in told) == (to_pay != "0.00")
    assert ("we refund you the difference" in told) == (refunded != "0.00")
    # the credit was spent on the replacement, not left on the account
    from orders.money.payments import store_credit_balance

    assert store_credit_balance(customer=order.customer) == D("0")


def test_an_exchange_needs_a_product_on_sale(delivered, staff):
    order = delivered(2)
    rma = inspected(
        received(request(order, 1, outcome="exchange", wish="Red"), staff), staff
    )
    retired = ProductFactory(active=False)
    with pytest.raises(InvalidOrder, match="not on sale"):
        services.return_exchange(
            rma=rma,
            actor=staff[Role.RETURNS],
            replacements=[services.Replacement(product=retired, quantity=1)],
        )
    assert Return.objects.get(pk=rma.pk).status == RS.INSPECTED


# ------------------------------------------------------------------------------
# One parcel, several orders
# ------------------------------------------------------------------------------
def test_one_parcel_brings_returns_of_two_orders_of_one_customer(order_in, staff):
    from tests.factories.orders import CustomerFactory

    buyer = CustomerFactory()
    first = order_in(S.DELIVERED, lines=[(ProductFactory(), 2)], customer=buyer)
    second = order_in(S.DELIVERED, lines=[(ProductFactory(), 3)], customer=buyer)
    a, b = request(first, 2), request(second, 1)
    arrived = {
        a.lines.get().pk: 2,
        b.lines.get().pk: 1,
    }
    parcel = services.parcel_receive(
        rmas=[a, b], actor=staff[Role.WAREHOUSE], arrived=arrived, reference="JJD1"
    )
    assert parcel.number.startswith("PCL-") and parcel.customer == buyer
    for rma in (a, b):
        rma.refresh_from_db()
        assert rma.status == RS.RECEIVED and rma.parcel == parcel
    stranger = request(order_in(S.DELIVERED))
    assert stranger.order.customer_id != buyer.pk
    with pytest.raises(InvalidOrder, match="one customer"):
        services.parcel_receive(
            rmas=[stranger, request(second, 1)],
            actor=staff[Role.WAREHOUSE],
            arrived={},
        )


def test_a_parcel_is_received_all_or_nothing(order_in, staff):
    from tests.factories.orders import CustomerFactory

    buyer = CustomerFactory()
    first = order_in(S.DELIVERED, lines=[(ProductFactory(), 2)], customer=buyer)
    second = order_in(S.DELIVERED, lines=[(ProductFactory(), 2)], customer=buyer)
    a, b = request(first, 1), request(second, 1)
    services.return_cancel(rma=b, actor=CUSTOMER)  # cancelled meanwhile
    with pytest.raises(InvalidOrder, match="cannot be received"):
        services.parcel_receive(
            rmas=[a, b],
            actor=staff[Role.WAREHOUSE],
            arrived={a.lines.get().pk: 1, b.lines.get().pk: 1},
        )
    a.refresh_from_db()
    assert a.status == RS.APPROVED and a.parcel is None


def test_a_restocked_unit_fills_a_backorder_waiting_for_it(
    order_in, place, crew, staff, django_capture_on_commit_callbacks
):
    from orders.stock.services import order_check_inventory

    mug = ProductFactory(unit_price=D("10.00"))
    sold = order_in(S.DELIVERED, lines=[(mug, 2)])  # every mug we had
    waiting = place(lines=[(mug, 1)], stocked=False)
    from orders import demo

    waiting = demo.advance(waiting, S.VERIFIED, crew=crew)
    waiting = order_check_inventory(order=waiting, actor=crew.warehouse)
    assert waiting.status == S.BACKORDERED
    rma = received(request(sold, 1, reason="no_longer_needed"), staff)
    with django_capture_on_commit_callbacks(execute=True):
        inspected(rma, staff)
    waiting.refresh_from_db()
    assert waiting.status == S.ALLOCATED


def test_every_step_of_a_return_is_a_return_updated_webhook(delivered, staff):
    from orders.events.webhooks import events_of

    order = delivered()
    rma = inspected(received(request(order), staff), staff)
    services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    steps = OrderEvent.objects.filter(order=order, type__startswith="return_")
    assert steps.count() == 5
    for event in steps:
        assert "return.updated" in events_of(event), event.type


def test_a_replacement_cancelled_before_the_credit_arrives_leaves_it_on_the_account(
    delivered, staff, django_capture_on_commit_callbacks
):
    from orders.core.services import order_cancel
    from orders.money.payments import store_credit_balance

    order = delivered(2)
    rma = request(order, 1, outcome="exchange", wish="Blue")
    rma = inspected(received(rma, staff), staff)
    rma = services.return_exchange(  # the credit's refund is queued, not yet made
        rma=rma,
        actor=staff[Role.RETURNS],
        replacements=[services.Replacement(product=ProductFactory(), quantity=1)],
    )
    order_cancel(
        order=rma.replacement_order, actor=staff[Role.CLERK], reason="Changed mind"
    )
    from orders.money.refunds import refund_execute

    credit = Refund.objects.get(order=order, idempotency_key=f"exchange:{rma.pk}")
    refund_execute(refund_id=credit.pk)
    credit.refresh_from_db()
    assert credit.status == Refund.Status.SUCCEEDED  # the refund is never undone
    assert store_credit_balance(customer=order.customer) == credit.amount

"""Every allowed and every forbidden transition of the order lifecycle, through the services."""

from decimal import Decimal

import pytest

from orders import moves
from orders.core import lifecycle, services
from orders.exceptions import InvalidOrder, TransitionNotAllowed
from orders.fulfilment import services as fulfilment
from orders.models import Order, OrderEvent, OrderStatus
from orders.money import payments
from orders.permissions import Role
from orders.stock import services as stock_services
from orders.verification import services as verification
from orders.verification.checklist import checklist_keys
from tests.conftest import covered
from tests.factories.inventory import ProductFactory
from tests.orders.inputs import inputs_for

S = OrderStatus
EDGES = lifecycle.edges()


@pytest.fixture
def prepare(order_in, place, stock, crew, staff):
    """An order in ``state``, made only through the services, ready for ``transition``."""

    def make(state, transition=None):
        if state == S.BACKORDERED:
            order = order_in("verified", stocked=False)
            order = stock_services.order_check_inventory(
                order=order, actor=crew.warehouse
            )
            assert order.status == S.BACKORDERED
            if transition == "allocate":
                for line in order.lines.all():
                    stock(line.product, line.quantity)
            return order
        if state == S.ON_HOLD:
            order = order_in(S.PLACED)
            return services.order_hold(order=order, actor=crew.clerk, reason="Waiting")
        if state == S.CANCELLED:
            order = order_in(S.ALLOCATED)
            return services.order_cancel(
                order=order, actor=crew.clerk, reason="Duplicate"
            )
        if state == S.VERIFIED and transition == "backorder":
            return order_in(S.VERIFIED, stocked=False)
        order = order_in("checked" if transition in ("verify", "send_back") else state)
        if transition == "mark_paid":
            covered(order)
        return order

    return make


def _fresh(order):
    return Order.objects.get(pk=order.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "target", "name"), EDGES, ids=[f"{s}-{n}->{t}" for s, t, n in EDGES]
)
def test_every_allowed_transition(prepare, staff, source, target, name):
    # given an order in the source state (for a release, held from the target state)
    if name == "release_hold":
        order = prepare(target, "hold")
        order = services.order_hold(
            order=order, actor=staff[Role.MANAGER], reason="Check"
        )
    else:
        order = prepare(source, name)
    assert order.status == source
    moved = order.events.exclude(to_status="")
    moves_before = moved.count()

    # when a manager runs the transition
    result = moves.order_transition(
        order=order, name=name, actor=staff[Role.MANAGER], **inputs_for(name, order)
    )

    # then the order is in the target state, saved, with an event saying who moved it
    assert result.status == target
    assert _fresh(order).status == target
    if source != target:
        event = moved.latest("pk")
        assert (event.type, event.from_status, event.to_status, event.actor) == (
            TRANSITION_FACTS[name],
            source,
            target,
            staff[Role.MANAGER],
        )
        assert event.actor_kind == "staff"
        assert moved.count() == moves_before + 1


# The fact each transition records (its typed event).
T = OrderEvent.Type
TRANSITION_FACTS = {
    "verify": T.VERIFIED,
    "allocate": T.ALLOCATED,
    "backorder": T.BACKORDERED,
    "mark_paid": T.PAID,
    "start_picking": T.PICKING_STARTED,
    "pack": T.PACKED,
    "ship": T.SHIPPED,
    "mark_delivered": T.DELIVERED,
    "complete": T.COMPLETED,
    "hold": T.HELD,
    "release_hold": T.HOLD_RELEASED,
    "cancel": T.CANCELLED,
}


ALLOWED = {(source, name) for source, _target, name in EDGES}
FORBIDDEN = [
    (state, name)
    for state in S.values
    for name in moves.TRANSITION_SERVICES
    if (state, name) not in ALLOWED
    # "backorder" is the other outcome of the inventory check ("allocate").
    and not (name == "backorder" and (state, "allocate") in ALLOWED)
    and not (name == "allocate" and (state, "backorder") in ALLOWED)
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "name"), FORBIDDEN, ids=[f"{s}-{n}" for s, n in FORBIDDEN]
)
def test_every_forbidden_transition(prepare, staff, state, name):
    # given an order in some state
    order = prepare(state)
    events_before = order.events.count()

    # when a manager (who holds every permission) tries a move not allowed from there
    with pytest.raises(TransitionNotAllowed) as error:
        moves.order_transition(
            order=order, name=name, actor=staff[Role.MANAGER], **inputs_for(name, order)
        )

    # then nothing changed and the message says which state blocked it
    assert _fresh(order).status == state
    assert order.events.count() == events_before
    assert str(order.number) in str(error.value)


def test_forbidden_table_is_not_empty():
    # A guard for the parametrisation above: every state forbids something.
    assert {state for state, _name in FORBIDDEN} == set(S.values)


@pytest.mark.django_db
def test_verify_needs_lines(staff):
    from tests.factories.orders import OrderFactory

    order = OrderFactory()
    with pytest.raises(TransitionNotAllowed, match="no lines"):
        verification.order_record_first_check(
            order=order, actor=staff[Role.CLERK], checked=checklist_keys(order)
        )


@pytest.mark.django_db
def test_a_free_line_set_on_purpose_goes_all_the_way(place, staff, crew):
    """One rule for a zero price (a manual 0 with a reason): placement, correction
    and verification agree, and the free order is paid by nothing at all."""
    from tests.factories.inventory import ProductFactory

    # a free sample: a manual price of 0, with a reason
    order = place([(ProductFactory(), 1)], unit_price=0)
    line = order.lines.get()
    assert (line.unit_price, line.price_source) == (0, "manual")
    order = verification.order_record_first_check(
        order=order, actor=staff[Role.CLERK], checked=checklist_keys(order)
    )
    order = verification.order_verify(order=order, actor=staff[Role.VERIFIER])
    order = stock_services.order_check_inventory(order=order, actor=crew.warehouse)
    # nothing to pay: covered at once
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
def test_a_zero_price_without_a_reason_is_refused_everywhere(place, staff, crew):
    from orders.core.services import order_place
    from orders.money.pricing import LineInput
    from tests.factories.orders import CustomerFactory

    free = ProductFactory(unit_price="0.00")
    # from the catalogue: a missing price, refused at placement
    with pytest.raises(InvalidOrder, match="no price"):
        order_place(
            customer=CustomerFactory(), channel="phone", lines=[LineInput(free, 1)]
        )
    # a manual 0 without a reason: refused at placement
    with pytest.raises(InvalidOrder, match="needs a reason"):
        order_place(
            customer=CustomerFactory(),
            channel="phone",
            lines=[LineInput(free, 1, Decimal("0"), "")],
        )
    # a correction adding it by the rules is refused too, and changes nothing
    order = place()
    with pytest.raises(InvalidOrder, match="no price"):
        verification.order_correct(
            order=order,
            actor=staff[Role.CLERK],
            reason="Add the sample",
            add=[LineInput(free, 1)],
            seen=checklist_keys(order),
        )
    assert order.lines.count() == 1
    # and a line that somehow has one (written before the rule) blocks verification
    type(order.lines.get()).objects.filter(order=order).update(unit_price=0)
    with pytest.raises(TransitionNotAllowed, match="price above zero"):
        verification.order_record_first_check(
            order=Order.objects.get(pk=order.pk),
            actor=staff[Role.CLERK],
            checked=checklist_keys(Order.objects.get(pk=order.pk)),
        )


@pytest.mark.django_db
def test_cannot_mark_paid_until_captured_payments_cover_the_total(order_in, crew):
    pass

    order = order_in(S.ALLOCATED)
    with pytest.raises(TransitionNotAllowed, match="do not cover"):
        payments.order_mark_paid(order=order, actor=crew.clerk)
    payments.payment_record_manual(
        order=order, method="bank_transfer", amount=order.total - 1, actor=crew.clerk
    )
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED
    with pytest.raises(TransitionNotAllowed, match="do not cover"):
        payments.order_mark_paid(order=order, actor=crew.clerk)
    # the last euro arrives: the order moves to paid by itself
    payments.payment_record_manual(
        order=order, method="bank_transfer", amount=1, actor=crew.clerk
    )
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
@pytest.mark.parametrize("tracking", ["", "   "])
def test_cannot_ship_without_a_tracking_number(order_in, crew, tracking):
    order = order_in(S.PACKED)
    with pytest.raises(InvalidOrder, match="tracking number"):
        fulfilment.order_ship(
            order=order, actor=crew.warehouse, carrier="DHL", tracking_number=tracking
        )
    assert _fresh(order).status == S.PACKED
    assert not order.shipments.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["hold", "cancel"])
def test_hold_and_cancel_need_a_reason(order_in, crew, name):
    order = order_in(S.PLACED)
    with pytest.raises(InvalidOrder, match="reason"):
        moves.order_transition(order=order, name=name, actor=crew.clerk, reason=" ")
    assert _fresh(order).status == S.PLACED


@pytest.mark.django_db
@pytest.mark.parametrize("held_from", [S.PLACED, S.BACKORDERED, S.PAID, S.PACKED])
def test_release_returns_to_where_the_order_was_held(prepare, crew, staff, held_from):
    order = prepare(held_from)
    order = services.order_hold(order=order, actor=crew.clerk, reason="Address check")
    assert (order.status, order.held_from) == (S.ON_HOLD, held_from)
    order = services.order_release_hold(order=order, actor=staff[Role.MANAGER])
    assert (order.status, order.held_from) == (held_from, "")


@pytest.mark.django_db
def test_status_cannot_be_assigned_directly(order_in):
    order = order_in(S.PLACED)
    with pytest.raises(AttributeError, match="not allowed"):
        order.status = S.SHIPPED


@pytest.mark.django_db
def test_order_numbers_are_human_readable_and_tokens_long(place):
    first, second = place(), place()
    assert first.number == f"ORD-{first.pk:06d}"
    assert first.tracking_token != second.tracking_token
    # 24 random bytes, URL-safe base64: 192 bits.
    assert len(first.tracking_token) >= 32

"""Two people acting on one order at once: exactly one of them succeeds."""

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition

from inventory.models import StockItem
from orders.core import services
from orders.exceptions import OrderChanged
from orders.fulfilment import services as fulfilment
from orders.models import Order, OrderStatus
from orders.verification import services as verification
from orders.verification.checklist import checklist_keys
from tests.racing import race

S = OrderStatus


@pytest.mark.django_db
def test_a_stale_instance_cannot_save_a_transition():
    # The optimistic lock (ConcurrentTransitionMixin) under the row lock: even code
    # that skipped the services could not apply two transitions from one state.
    from tests.factories.orders import OrderFactory

    first = OrderFactory()
    second = Order.objects.get(pk=first.pk)
    first.hold()
    first.save()
    second.cancel()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert Order.objects.get(pk=first.pk).status == S.ON_HOLD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_ship_and_cancel_at_once_exactly_one_wins(order_in, crew, round_):
    # given a packed order that two people have open
    order = order_in(S.PACKED)
    item = StockItem.objects.get(product=order.lines.get().product)
    ship_view, cancel_view = (
        Order.objects.get(pk=order.pk),
        Order.objects.get(pk=order.pk),
    )

    # when the warehouse ships it while a clerk cancels it, twice each
    outcomes = race(
        lambda: fulfilment.order_ship(
            order=ship_view, actor=crew.warehouse, carrier="DHL", tracking_number="A1"
        ),
        lambda: services.order_cancel(
            order=cancel_view, actor=crew.clerk, reason="Customer request"
        ),
        lambda: fulfilment.order_ship(
            order=ship_view, actor=crew.warehouse, carrier="UPS", tracking_number="B2"
        ),
        lambda: services.order_cancel(
            order=cancel_view, actor=crew.clerk, reason="Duplicate"
        ),
    )

    # then exactly one succeeded, the others were told the order changed
    winners = [o for o in outcomes if isinstance(o, Order)]
    losers = [o for o in outcomes if isinstance(o, OrderChanged)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 3, outcomes
    final = Order.objects.get(pk=order.pk)
    assert final.status == winners[0].status
    # and the stock and the timeline tell one story
    item.refresh_from_db()
    assert item.allocated == 0
    assert item.on_hand == (
        0 if final.status == S.SHIPPED else order.lines.get().quantity
    )
    assert order.shipments.count() == (1 if final.status == S.SHIPPED else 0)
    assert order.events.exclude(to_status="").filter(from_status=S.PACKED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_at_once_verify_once(place, crew, staff):
    placed = place()
    order = verification.order_record_first_check(
        order=placed, actor=crew.clerk, checked=checklist_keys(placed)
    )
    views = [Order.objects.get(pk=order.pk) for _ in range(2)]
    outcomes = race(
        lambda: verification.order_verify(order=views[0], actor=staff["verifier"]),
        lambda: verification.order_verify(order=views[1], actor=staff["manager"]),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Order", "OrderChanged"]
    assert order.events.filter(to_status=S.VERIFIED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_parcels_for_the_same_units_ship_once(order_in, crew, round_):
    from orders.exceptions import InvalidOrder
    from orders.models import ShipmentLine
    from tests.factories.inventory import ProductFactory

    # two packers each put 2 of the 3 units in a parcel at the same moment
    order = order_in(S.PACKED, lines=[(ProductFactory(), 3)])
    line = order.lines.get()
    views = [Order.objects.get(pk=order.pk) for _ in range(2)]
    outcomes = race(
        *[
            lambda v=v, n=n: fulfilment.order_ship(
                order=v,
                actor=crew.warehouse,
                carrier="DHL",
                tracking_number=f"P{n}",
                lines={line.pk: 2},
            )
            for n, v in enumerate(views)
        ]
    )
    # one parcel leaves; the other is refused, as only 1 unit is left to ship
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidOrder", "Order"]
    assert any(isinstance(o, InvalidOrder) for o in outcomes)
    assert (
        sum(
            ShipmentLine.objects.filter(order_line=line).values_list(
                "quantity", flat=True
            )
        )
        == 2
    )
    item = StockItem.objects.get(product=line.product)
    assert (item.on_hand, item.allocated) == (1, 1)
    assert Order.objects.get(pk=order.pk).status == S.PACKED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_first_check_never_survives_a_correction_made_at_the_same_time(
    place, staff, round_
):
    from orders.permissions import Role

    # the clerk ticks the checklist as it was drawn while a verifier corrects a line
    order = place()
    keys = checklist_keys(order)
    line = order.lines.get()
    views = [Order.objects.get(pk=order.pk) for _ in range(2)]
    outcomes = race(
        lambda: verification.order_record_first_check(
            order=views[0], actor=staff[Role.CLERK], checked=keys
        ),
        lambda: verification.order_correct(
            order=views[1],
            actor=staff[Role.VERIFIER],
            reason="Customer asked for one more",
            quantities={line.pk: line.quantity + 1},
        ),
    )
    # whichever came first, the corrected order waits for a new first check
    assert isinstance(outcomes[1], Order)
    fresh = Order.objects.get(pk=order.pk)
    assert fresh.first_checked_by is None
    assert fresh.lines.get().quantity == line.quantity + 1
    if not isinstance(outcomes[0], Order):  # the correction came first
        assert "changed since the checklist was opened" in str(outcomes[0])

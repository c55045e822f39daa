"""Returns under concurrency, on PostgreSQL: a double refund submit, two requests
for the same units, and the customer's cancel against the warehouse's receipt."""

from decimal import Decimal as D

import pytest

from orders.core.models import OrderStatus as S
from orders.exceptions import AlreadyRecorded, OrderError
from orders.money.models import Refund
from orders.permissions import Role
from ordersite.actors import CUSTOMER
from returns import services
from returns.models import RS, Return
from tests.factories.inventory import ProductFactory
from tests.racing import race
from tests.returns.test_returns import ask, inspected, received, request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def order(order_in):
    return order_in(S.DELIVERED, lines=[(ProductFactory(unit_price=D("10.00")), 4)])


def test_a_double_refund_submit_from_two_tabs_refunds_once(order, staff):
    rma = inspected(received(request(order, 2), staff), staff)
    outcomes = race(
        lambda: services.return_refund(
            rma=Return.objects.get(pk=rma.pk), actor=staff[Role.RETURNS]
        ),
        lambda: services.return_refund(
            rma=Return.objects.get(pk=rma.pk), actor=staff[Role.MANAGER]
        ),
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], AlreadyRecorded), outcomes
    refunds = Refund.objects.filter(order=order)
    assert refunds.count() == 1 and refunds.get().amount == rma.refund_amount
    assert Return.objects.get(pk=rma.pk).status == RS.REFUNDED


def test_two_requests_for_the_last_units_open_one_return(order):
    outcomes = race(
        lambda: services.return_request(
            order=order, asked=ask(order, 3), outcome="refund", actor=CUSTOMER
        ),
        lambda: services.return_request(
            order=order, asked=ask(order, 3), outcome="refund", actor=CUSTOMER
        ),
    )
    assert sum(isinstance(o, OrderError) for o in outcomes) == 1, outcomes
    assert Return.objects.filter(order=order).count() == 1


def test_the_customers_cancel_against_the_warehouses_receipt(order, staff):
    rma = request(order, 2)
    line = rma.lines.get()
    outcomes = race(
        lambda: services.return_cancel(
            rma=Return.objects.get(pk=rma.pk), actor=CUSTOMER
        ),
        lambda: services.return_receive(
            rma=Return.objects.get(pk=rma.pk),
            actor=staff[Role.WAREHOUSE],
            arrived={line.pk: 2},
        ),
    )
    rma.refresh_from_db()
    assert sum(isinstance(o, OrderError) for o in outcomes) == 1, outcomes
    if rma.status == RS.CANCELLED:
        assert rma.lines.get().received_quantity is None
    else:
        assert rma.status == RS.RECEIVED and rma.lines.get().received_quantity == 2


def test_a_return_refund_and_a_staff_refund_never_refund_more_than_was_paid(
    order, staff
):
    from orders.money.position import money_position
    from orders.money.refunds import payment_refund

    rma = inspected(received(request(order, 4), staff), staff)
    everything = money_position(order).refundable
    outcomes = race(
        lambda: services.return_refund(
            rma=Return.objects.get(pk=rma.pk), actor=staff[Role.RETURNS]
        ),
        lambda: payment_refund(
            order=order,
            amount=everything,
            reason="Goodwill",
            idempotency_key="goodwill-1",
            actor=staff[Role.CLERK],
        ),
    )
    assert sum(isinstance(o, OrderError) for o in outcomes) == 1, outcomes
    total = sum(r.amount for r in Refund.objects.filter(order=order))
    assert total <= everything

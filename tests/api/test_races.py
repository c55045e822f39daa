"""Retries that arrive at the same moment make one order (PostgreSQL)."""

import pytest

from orders.models import Order
from tests.api.conftest import Api
from tests.racing import race

URL = "/api/v1/orders/"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("by", ["idempotency key", "store reference"])
def test_two_identical_creates_at_once_make_one_order(key, order_body, by):
    body = order_body(reference="" if by == "idempotency key" else "SHOP-77")
    headers = {"Idempotency-Key": "retry-1"} if by == "idempotency key" else {}
    outcomes = race(*(lambda: Api(key[1]).post(URL, body, **headers) for _ in range(3)))
    codes = sorted(r.status_code for r in outcomes)
    assert codes == [200, 200, 201], [getattr(r, "content", r) for r in outcomes]
    assert len({r.json()["number"] for r in outcomes}) == 1
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert order.lines.count() == 2 and order.customer.orders.count() == 1
    # the losers' work (a new customer too) was rolled back with their order
    from orders.models import Customer

    assert Customer.objects.filter(email="ada@example.com").count() == 1

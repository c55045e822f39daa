"""The returns endpoint: the policy's checks, idempotency, scopes, problems."""

from decimal import Decimal as D

import pytest

from orders.core.models import OrderStatus as S
from ordersite.api.services import api_key_create
from returns.models import RS, Return
from tests.api.conftest import Api
from tests.factories.inventory import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(order_in):
    return order_in(
        S.DELIVERED, lines=[(ProductFactory(sku="RET-1", unit_price=D("10.00")), 3)]
    )


def body(order, quantity=1, **extra):
    return {
        "order": order.number,
        "lines": [{"sku": "RET-1", "quantity": quantity, "reason": "defective"}],
        "outcome": "refund",
        **extra,
    }


def test_an_integration_opens_a_return_inside_the_policy(api, order):
    response = api.post("/api/v1/returns/", body(order, 2))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == RS.APPROVED and data["return_address"]
    assert data["lines"][0]["quantity"] == 2
    rma = Return.objects.get(number=data["number"])
    assert rma.source == "api"
    assert rma.order.events.filter(
        type="return_requested", actor_kind="integration"
    ).exists()
    read = api.get(response["Location"]).json()
    assert read["number"] == rma.number


def test_the_same_key_returns_the_first_return_and_another_body_is_refused(api, order):
    first = api.post("/api/v1/returns/", body(order), **{"Idempotency-Key": "r-1"})
    again = api.post("/api/v1/returns/", body(order), **{"Idempotency-Key": "r-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    other = api.post("/api/v1/returns/", body(order, 2), **{"Idempotency-Key": "r-1"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Return.objects.count() == 1


def test_the_policys_refusal_is_a_problem_with_reasons(api, order):
    response = api.post("/api/v1/returns/", body(order, 4))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "not_returnable"
    assert "at most 3" in problem["errors"][0]["detail"]
    unknown = dict(
        body(order), lines=[{"sku": "NOPE", "quantity": 1, "reason": "other"}]
    )
    response = api.post("/api/v1/returns/", unknown)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "/lines/0/sku"
    assert not Return.objects.exists()


def test_a_key_without_the_returns_scope_is_refused(order):
    _key, raw = api_key_create(name="Read only", scopes=["orders:read"])
    response = Api(raw).post("/api/v1/returns/", body(order))
    assert response.status_code == 403
    assert not Return.objects.exists()

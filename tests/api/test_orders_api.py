"""Creating, reading, listing and cancelling orders through the API."""

from decimal import Decimal

import pytest
from django.test import override_settings

from orders.events.models import EventType
from orders.models import Order, OrderStatus
from ordersite.actors import ActorKind

URL = "/api/v1/orders/"


@pytest.mark.django_db
def test_an_order_is_created_priced_by_the_rules_and_recorded_as_the_integration(
    api, order_body, products
):
    response = api.post(URL, order_body())
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert response["Location"] == f"/api/v1/orders/{order.number}/"
    assert (order.channel, order.source, order.external_id) == (
        "api",
        "api:Test shop",
        "SHOP-1001",
    )
    assert order.status == OrderStatus.PLACED
    assert [(x["sku"], x["quantity"]) for x in body["lines"]] == [
        (products[0].sku, 2),
        (products[1].sku, 1),
    ]
    assert body["lines"][0]["price_source"] == "catalogue"
    assert Decimal(body["total"]) == order.total
    assert body["events"][0]["type"] == "placed" and "status_page" in body
    placed = order.events.get(type=EventType.PLACED)
    assert (
        placed.actor_kind == ActorKind.INTEGRATION and "Test shop" in placed.actor_label
    )
    # the customer was made from what the store sent, and gets the usual email
    assert order.customer.email == "ada@example.com"
    assert order.notifications.filter(kind="order_received").exists()


@pytest.mark.django_db
def test_the_same_reference_again_returns_the_first_order(api, order_body):
    first = api.post(URL, order_body())
    again = api.post(URL, order_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_an_idempotency_key_replays_and_refuses_another_body(api, order_body):
    body = order_body(reference="")
    first = api.post(URL, body, **{"Idempotency-Key": "abc-1"})
    again = api.post(URL, body, **{"Idempotency-Key": "abc-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    other = api.post(
        URL,
        order_body(reference="", shipping_total="4.90"),
        **{"Idempotency-Key": "abc-1"},
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other["Content-Type"] == "application/problem+json"
    # without a key or a reference, each request is a new order
    api.post(URL, body)
    assert Order.objects.count() == 2
    assert api.post(URL, body, **{"Idempotency-Key": "x" * 256}).status_code == 422


def problems(response) -> dict[str, str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {p["field"]: p["code"] for p in response.json().get("errors", [])}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field, code",
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "/lines/0/sku", "unknown_sku"),
        (
            {"lines": [{"sku": "API-0", "quantity": 0}]},
            "/lines/0/quantity",
            "quantity_out_of_range",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": -3}]},
            "/lines/0/quantity",
            "quantity_out_of_range",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": 10**12}]},
            "/lines/0/quantity",
            "quantity_out_of_range",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": "4006381333931"}]},
            "/lines/0/quantity",
            "quantity_out_of_range",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": "two"}]},
            "/lines/0/quantity",
            "invalid",
        ),
        ({"lines": []}, "/lines", "empty"),
        ({"currency": "USD"}, "/currency", "unknown_currency"),
        ({"currency": "dollars"}, "/currency", "invalid"),
        (
            {"customer": {"email": "not-an-email", "name": "X"}},
            "/customer/email",
            "invalid",
        ),
        ({"shipping": {"address": "", "country": "DE"}}, "/shipping/address", "blank"),
        (
            {"shipping": {"address": "x" * 10_000, "country": "DE"}},
            "/shipping/address",
            "max_length",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": 1, "unit_price": "-1"}]},
            "/lines/0/unit_price",
            "price_out_of_range",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": 1, "unit_price": "abc"}]},
            "/lines/0/unit_price",
            "invalid",
        ),
        (
            {"lines": [{"sku": "API-0", "quantity": 1, "unit_price": "1e400"}]},
            "/lines/0/unit_price",
            "max_digits",
        ),
    ],
)
def test_bad_input_is_named_by_field_and_writes_nothing(
    api, order_body, change, field, code
):
    response = api.post(URL, order_body(**change))
    assert response.status_code == 422, response.content
    assert problems(response).get(field) == code, response.json()
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_inactive_product_is_refused(api, order_body, products):
    products[2].active = False
    products[2].save()
    response = api.post(
        URL, order_body(lines=[{"sku": products[2].sku, "quantity": 1}])
    )
    assert problems(response) == {"/lines/0/sku": "inactive_product"}
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_store_price_that_disagrees_is_flagged_for_the_verifier(
    api, order_body, products
):
    response = api.post(
        URL,
        order_body(
            lines=[{"sku": products[0].sku, "quantity": 1, "unit_price": "0.01"}]
        ),
    )
    assert response.status_code == 201
    line = Order.objects.get().lines.get()
    assert line.unit_price == Decimal("0.01") and line.price_source == "manual"
    assert "pricing rules say" in line.price_reason
    # the same price as the rules is not a manual price
    rules = str(products[1].unit_price)
    api.post(
        URL,
        order_body(
            reference="2",
            lines=[{"sku": products[1].sku, "quantity": 1, "unit_price": rules}],
        ),
    )
    assert Order.objects.get(external_id="2").lines.get().price_source != "manual"


@pytest.mark.django_db
@override_settings(API_PRICE_MISMATCH="refuse")
def test_a_store_price_that_disagrees_can_be_refused(api, order_body, products):
    response = api.post(
        URL,
        order_body(
            lines=[{"sku": products[0].sku, "quantity": 1, "unit_price": "0.01"}]
        ),
    )
    assert problems(response) == {"/lines/0/unit_price": "price_mismatch"}
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_payment_the_store_took_is_recorded_once(api, order_body):
    created = api.post(
        URL, order_body(payment={"amount": "10.00", "reference": "pi_1"})
    )
    assert created.status_code == 201, created.json()
    order = Order.objects.get()
    [payment] = order.payments.all()
    assert (payment.method, payment.status, payment.amount) == (
        "online_store",
        "captured",
        Decimal("10.00"),
    )
    assert created.json()["payment_status"] == "partly_paid"
    api.post(URL, order_body(payment={"amount": "10.00", "reference": "pi_1"}))
    assert order.payments.count() == 1
    too_much = api.post(URL, order_body(reference="B", payment={"amount": "999999.00"}))
    assert (
        too_much.status_code == 422
        and not Order.objects.filter(external_id="B").exists()
    )


@pytest.mark.django_db
def test_malformed_or_huge_bodies_are_problems_not_errors(api, order_body):
    assert api.post(URL, "{not json").status_code == 400
    assert api.post(URL, "").status_code == 422  # no body: every field missing
    assert api.post(URL, "[1, 2]").status_code == 422
    assert api.post(URL, '{"lines": NaN}').status_code == 400
    huge = '{"lines": [{"sku": "API-0", "quantity": 1, "unit_price": 1e400}]}'
    assert api.post(URL, huge).status_code == 422
    assert api.post(URL, "[" * 100_000).status_code == 400
    nul = order_body(customer={"email": "a@example.com", "name": "A\u0000B"})
    assert api.post(URL, nul).status_code == 400
    with override_settings(API_MAX_BODY_BYTES=1000):
        response = api.post(URL, order_body(reference="x" * 2000))
    assert (
        response.status_code == 413 and response.json()["code"] == "payload_too_large"
    )
    response = api.client.post(
        URL, "a=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_reading_an_order_shows_lines_payments_shipments_and_the_customers_history(
    api, order_in, settings
):
    settings.ORDERS_CARRIER_TRACKING_URLS = {"DHL": "https://dhl.example/{number}"}
    order = order_in(OrderStatus.SHIPPED)
    order.shipments.update(carrier="DHL")
    body = api.get(f"{URL}{order.number}/").json()
    assert body["status"] == "shipped" and body["payment_status"] == "paid"
    assert body["payments"][0]["status"] == "captured"
    tracking = order.shipments.first().tracking_number
    assert body["shipments"][0]["tracking_url"] == f"https://dhl.example/{tracking}"
    types = [e["type"] for e in body["events"]]
    assert "shipped" in types and "note_added" not in types
    assert "first_check_recorded" not in types  # staff facts stay inside
    assert api.get(f"{URL}ORD-NOPE/").status_code == 404
    assert api.get(f"{URL}{'9' * 5000}/").status_code == 404


@pytest.mark.django_db
def test_changes_since_a_cursor_list_each_changed_order_once(api, order_in, staff):
    from datetime import timedelta

    import orders.api.views as views

    views.SETTLE = timedelta(0)
    try:
        first, second = order_in(OrderStatus.PLACED), order_in(OrderStatus.PAID)
        page = api.get(URL).json()
        assert [o["number"] for o in page["orders"]] == [first.number, second.number]
        assert page["more"] is False
        cursor = page["cursor"]
        assert api.get(URL, {"changed_since": cursor}).json()["orders"] == []
        from orders.core import services

        services.order_add_note(order=first, actor=staff["clerk"], body="Rang them")
        later = api.get(URL, {"changed_since": cursor}).json()
        assert [o["number"] for o in later["orders"]] == [first.number]
        for bad in ("abc", "-1", "9" * 40):
            assert api.get(URL, {"changed_since": bad}).status_code == 422
    finally:
        views.SETTLE = timedelta(seconds=5)


@pytest.mark.django_db
def test_cancel_while_allowed_and_a_clear_conflict_after(api, order_in):
    order = order_in(OrderStatus.PAID)
    response = api.post(
        f"{URL}{order.number}/cancel/", {"reason": "Customer cancelled in the shop"}
    )
    assert response.status_code == 200, response.json()["detail"]
    assert response.json()["status"] == "cancelled"
    cancelled = Order.objects.get(pk=order.pk).events.get(type=EventType.CANCELLED)
    assert cancelled.actor_kind == ActorKind.INTEGRATION
    shipped = order_in(OrderStatus.SHIPPED)
    conflict = api.post(f"{URL}{shipped.number}/cancel/", {"reason": "Too late"})
    assert conflict.status_code == 409 and conflict.json()["code"] == "not_cancellable"
    assert api.post(f"{URL}{shipped.number}/cancel/", {}).status_code == 422


@pytest.mark.django_db
def test_stock_per_sku(api, products):
    body = api.get("/api/v1/stock/", {"sku": [products[0].sku, "UNKNOWN"]}).json()
    assert body == [
        {
            "sku": products[0].sku,
            "active": True,
            "available": 50,
            "warehouses": body[0]["warehouses"],
        }
    ]
    assert api.get("/api/v1/stock/").status_code == 422
    assert (
        api.get("/api/v1/stock/", {"sku": [f"S{i}" for i in range(101)]}).status_code
        == 422
    )

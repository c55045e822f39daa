"""Friendly 404, 403 and 500 pages with a request id; never a technical page for customers."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from orders.models import OrderStatus
from orders.permissions import Role


@pytest.mark.django_db
def test_an_unknown_product_is_a_friendly_staff_404(client, staff):
    client.force_login(staff[Role.WAREHOUSE])
    response = client.get(reverse("inventory:product", args=["NO-SUCH-SKU"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that page" in html and "Back to the dashboard" in html
    request_id = response["X-Request-ID"]
    assert request_id and request_id in html
    assert "Traceback" not in html and "urlpatterns" not in html


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_a_bad_tracking_link_is_a_friendly_404_even_under_debug(client):
    response = client.get("/track/not-a-real-token/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Find your order" in html and "Using the URLconf" not in html
    assert "Back to the dashboard" not in html  # a customer, not staff


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_a_crash_on_the_customer_page_is_a_friendly_500_even_under_debug(
    order_in, monkeypatch, caplog
):
    from orders.customer import views

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    order = order_in(OrderStatus.SHIPPED)
    monkeypatch.setattr(views, "timeline", broken)
    client = Client(raise_request_exception=False)
    response = client.get(reverse("track:order", args=[order.tracking_token]))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html
    assert response["X-Request-ID"] in html
    assert response["X-Request-ID"] in caplog.text


@pytest.mark.django_db
def test_a_crash_on_a_staff_page_is_a_friendly_500(staff, order_in, monkeypatch):
    from orders.staff import orders as staff_orders

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    order = order_in(OrderStatus.PLACED)
    monkeypatch.setattr(staff_orders, "timeline", broken)
    client = Client(raise_request_exception=False)
    client.force_login(staff[Role.CLERK])
    response = client.get(reverse("orders:detail", args=[order.number]))
    html = response.content.decode()
    assert response.status_code == 500
    assert "reload the order and check whether your change is there" in html
    assert "secret internals" not in html


@pytest.mark.django_db
def test_a_forbidden_staff_page_says_so_and_offers_a_way_back(client, staff):
    client.force_login(staff[Role.WAREHOUSE])
    response = client.get(reverse("orders:new"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your role does not include this page" in html
    assert "Back to the dashboard" in html


@pytest.mark.django_db
def test_a_request_id_from_a_trusted_proxy_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-1234abcd")
    assert response["X-Request-ID"] == "edge-1234abcd"
    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert hostile["X-Request-ID"] != "<script>" and hostile["X-Request-ID"].isalnum()


@pytest.mark.django_db
def test_a_deadlock_that_escapes_a_service_is_try_again_not_500(
    client, staff, warehouse, monkeypatch, caplog
):
    from django.db import OperationalError

    from inventory import services
    from tests.factories.inventory import ProductFactory

    def deadlocked(**kwargs):
        raise OperationalError("deadlock detected")

    ProductFactory(sku="BEANS-1")
    monkeypatch.setattr(services, "receipt_create", deadlocked)
    client.force_login(staff[Role.WAREHOUSE])
    url = reverse("inventory:receipt_new")
    response = client.post(
        url,
        {
            "warehouse": warehouse.pk,
            "supplier": "Roastery",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-sku": "BEANS-1",
            "lines-0-quantity": "3",
        },
        HTTP_REFERER="http://testserver" + url,
    )
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Please try again" in html and "was not saved" in html
    assert f'href="http://testserver{url}"' in html
    assert response["X-Request-ID"] in html and "deadlock" not in html
    assert "answered with try again" in caplog.text


@pytest.mark.django_db
def test_the_way_back_never_leads_off_the_site(client, staff, monkeypatch):
    from django.db import OperationalError

    from orders.staff import orders as views

    def busy(*args, **kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    client.force_login(staff[Role.CLERK])
    monkeypatch.setattr(views, "render", busy)
    response = client.get(reverse("orders:list"), HTTP_REFERER="https://evil.example/")
    assert response.status_code == 503
    assert "evil.example" not in response.content.decode()


@pytest.mark.django_db
def test_a_nul_character_is_refused_at_the_door_not_a_database_error(
    client, order_in, staff
):
    """PostgreSQL cannot store NUL in text; a value with one never reaches a save,
    whether a form reads it or a view takes it from the POST directly."""
    from orders.customer import services as customer
    from orders.exceptions import InvalidOrder
    from orders.models import CustomerMessage

    order = order_in(OrderStatus.PLACED, channel="phone")
    customer.order_send_read_back(order=order, actor=staff[Role.CLERK])
    response = client.post(
        reverse("track:read_back", args=[order.tracking_token]),
        {"answer": "wrong", "details": "street\x00name"},
    )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    response = client.post(
        reverse("track:message", args=[order.tracking_token]), {"body": "a\x00b"}
    )
    assert response.status_code == 400
    assert not CustomerMessage.objects.filter(order=order).exists()
    # The query string too, and the service refuses it whoever calls it.
    client.force_login(staff[Role.CLERK])
    assert client.get(reverse("orders:list"), {"q": "x\x00"}).status_code == 400
    with pytest.raises(InvalidOrder, match="cannot be saved"):
        customer.order_answer_read_back(order=order, correct=False, details="a\x00")
    # An ordinary request is untouched.
    assert client.get(reverse("orders:list"), {"q": "x"}).status_code == 200

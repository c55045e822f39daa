"""The home page and health check."""

import pytest
from django.urls import reverse

from orders.permissions import Role


@pytest.mark.django_db
def test_home_page_for_visitors_uses_local_bootstrap(client):
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/vendor/bootstrap-5.3.8/css/bootstrap.min.css" in page
    assert "cdn" not in page.lower()
    assert "Staff login" in page
    assert "Orders by status" not in page


@pytest.mark.django_db
def test_home_page_shows_staff_the_orders_per_state(
    client, staff, order_in, django_assert_max_num_queries
):
    order_in("placed")
    order_in("paid")
    client.force_login(staff[Role.CLERK])
    with django_assert_max_num_queries(6):
        page = client.get(reverse("home")).content.decode()
    assert "Orders by status" in page
    assert "?status__exact=paid" in page


@pytest.mark.django_db
def test_healthz(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}

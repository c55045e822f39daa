"""The backorders page: what is missing and since when, and the split action."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.permissions import Role
from orders.stock import services as stock_services
from tests.factories.inventory import ProductFactory


@pytest.fixture
def waiting(order_in, crew, stock):
    here, missing = ProductFactory(sku="HERE-1"), ProductFactory(sku="MISS-1")
    stock(here, 5)
    order = order_in("verified", lines=[(here, 1), (missing, 2)], stocked=False)
    return stock_services.order_check_inventory(order=order, actor=crew.warehouse)


@pytest.mark.django_db
def test_the_page_lists_missing_units(
    client, staff, waiting, django_assert_max_num_queries
):
    client.force_login(staff[Role.CLERK])
    with django_assert_max_num_queries(10):
        page = client.get(reverse("orders:backorders")).content.decode()
    assert waiting.number in page and "MISS-1" in page
    assert "waiting for" in page


@pytest.mark.django_db
def test_split_from_the_page(client, staff, waiting):
    line = waiting.lines.get(sku="MISS-1")
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("orders:backorder_split", args=[waiting.number]),
        {"lines": [line.pk], "status": "backordered"},
        follow=True,
    )
    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.ALLOCATED
    child = Order.objects.get(split_from=waiting)
    assert child.number in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_a_stale_page_is_told_so(client, staff, waiting):
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("orders:backorder_split", args=[waiting.number]),
        {"lines": [waiting.lines.get(sku="MISS-1").pk], "status": "verified"},
        follow=True,
    )
    assert "changed since you loaded the page" in " ".join(
        str(m) for m in response.context["messages"]
    )
    assert not Order.objects.filter(split_from=waiting).exists()


@pytest.mark.django_db
def test_roles_without_the_permission_cannot_split(client, staff, waiting):
    client.force_login(staff[Role.VERIFIER])
    response = client.post(
        reverse("orders:backorder_split", args=[waiting.number]), {"lines": []}
    )
    assert response.status_code == 403

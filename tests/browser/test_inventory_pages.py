"""Warehouse and manager work through the inventory pages on the demo data, in Chromium."""

import pytest

from inventory.models import StockCount, StockItem
from orders.models import Order, OrderStatus
from tests.browser.conftest import sign_in


def inventory_menu(page, name):
    """Open one of the inventory pages from the navigation's Inventory menu."""
    page.get_by_role("button", name="Inventory").click()
    page.locator(".dropdown-menu").get_by_role("link", name=name, exact=True).click()


@pytest.mark.django_db(transaction=True)
def test_a_delivery_fills_backorders_and_a_count_is_approved(
    demo_data, live_server, page
):
    # the orders waiting for CF-1027 alone (others wait for more products too)
    from django.db.models import Exists, OuterRef

    from orders.models import OrderLine

    short_of = OrderLine.objects.filter(
        order=OuterRef("pk"), backordered_quantity__gt=0
    )
    waiting = set(
        Order.objects.filter(status=OrderStatus.BACKORDERED)
        .filter(Exists(short_of.filter(sku="CF-1027")))
        .exclude(Exists(short_of.exclude(sku="CF-1027")))
        .values_list("pk", flat=True)
    )
    assert waiting

    # the warehouse signs in and sees the work on the dashboard
    sign_in(page, live_server, "warehouse")
    assert page.get_by_role("heading", name="Backordered orders").is_visible()

    # finds the out-of-stock product in the stock list
    inventory_menu(page, "Stock")
    page.get_by_label("SKU or name").fill("CF-1027")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="CF-1027").first.click()
    assert page.get_by_role("heading", name="Ledger").is_visible()

    # records a delivery of it; a mistyped SKU is refused first
    inventory_menu(page, "Receipts")
    page.get_by_role("link", name="Record a delivery").click()
    page.get_by_label("Warehouse").select_option(label="Main warehouse, Berlin")
    page.locator("#id_supplier").fill("Roastery Ltd")
    page.locator("#id_lines-0-sku").fill("CF-10X7")
    page.locator("#id_lines-0-quantity").fill("200")
    page.get_by_role("button", name="Book the receipt").click()
    assert page.get_by_text("Unknown SKU “CF-10X7”.").is_visible()
    page.locator("#id_lines-0-sku").fill("CF-1027")
    page.get_by_role("button", name="Book the receipt").click()
    assert page.get_by_text("waiting orders will be allocated").is_visible()

    # the orders that waited for it have moved on
    assert not Order.objects.filter(
        pk__in=waiting, status=OrderStatus.BACKORDERED
    ).exists()
    page.get_by_role("link", name="Backorders").click()
    assert page.get_by_role("heading", name="Backordered orders").is_visible()

    # counts the open count's remaining lines and submits it
    count = StockCount.objects.get(status=StockCount.Status.OPEN)
    inventory_menu(page, "Stock counts")
    page.get_by_role("link", name=count.number).click()
    for field in page.locator("input[name^=line_]").all():
        if not field.input_value():
            field.fill("5")
    page.get_by_role("button", name="Save and submit for approval").click()
    assert page.get_by_text("Count submitted for approval.").is_visible()
    page.get_by_role("button", name="Log out (warehouse)").click()

    # the manager approves it and stock follows the count
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/staff/inventory/counts/{count.number}/")
    page.get_by_role("button", name="Approve and correct stock").click()
    assert page.get_by_text("Count approved; stock corrected.").is_visible()
    for line in count.lines.select_related("stock_item"):
        line.stock_item.refresh_from_db()
        assert line.stock_item.on_hand >= line.stock_item.allocated

    # and the health page sorts and offers its CSV
    inventory_menu(page, "Inventory health")
    page.get_by_role("link", name="Days of cover").click()
    assert "sort=cover" in page.url
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "inventory-health.csv"
    assert StockItem.objects.exists()

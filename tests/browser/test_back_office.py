"""A phone order from entry to shipment through the staff pages, in Chromium, on the demo data.

Screenshots of the main pages go to ``screenshots/`` (ignored by git) for a
person to look at.
"""

import re
from pathlib import Path

import pytest

from orders.models import Order, OrderEvent, OrderStatus
from orders.permissions import Role
from tests.browser.conftest import accessibility_problems, sign_in
from tests.factories.orders import StaffFactory

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_out(page):
    page.get_by_role("button", name=re.compile("Log out")).click()


@pytest.fixture
def demo(transactional_db, demo_data):
    StaffFactory(username="verifier2", role=Role.VERIFIER, password="ordersite-demo")


def open_order(page, live_server, number):
    page.goto(f"{live_server.url}/staff/orders/{number}/")


@pytest.mark.django_db(transaction=True)
def test_a_phone_order_from_entry_to_shipment(demo, live_server, page):
    # a clerk takes a phone order
    sign_in(page, live_server, "clerk")
    shot(page, "01-dashboard-clerk")
    page.get_by_role("link", name="New order", exact=True).click()
    page.get_by_label("Came in by").select_option("phone")
    page.get_by_label("Reference").fill("Call from Ms Weber, 10:42")
    page.get_by_label("Customer's email").fill("weber@example.com")
    page.get_by_label("Name").fill("Anna Weber")
    page.get_by_label("Shipping address").fill("Lindenallee 5\n50968 Köln")
    page.locator("#id_lines-0-sku").fill("CF-1001")
    page.locator("#id_lines-0-quantity").fill("2")
    page.locator("#id_lines-1-sku").fill("CF-1002")
    page.locator("#id_lines-1-quantity").fill("1")
    shot(page, "02-new-order")
    page.get_by_role("button", name=re.compile("Save the order")).click()
    number = re.search(r"ORD-\d+", page.get_by_role("heading", level=1).inner_text())[0]
    order = Order.objects.get(number=number)
    assert order.channel == "phone" and order.lines.count() == 2
    sign_out(page)

    # a verifier ticks every item of the checklist (forgetting one first)
    sign_in(page, live_server, "verifier")
    open_order(page, live_server, number)
    page.get_by_role("link", name="Open the verification checklist").click()
    boxes = page.locator('input[name="checked"]')
    assert boxes.count() == 5  # customer, address, two lines, totals
    for i in range(boxes.count() - 1):
        boxes.nth(i).check()
    page.get_by_role("button", name="Record first check").click()
    assert page.get_by_text("not ticked: Discounts, shipping and total").is_visible()
    for i in range(boxes.count()):
        boxes.nth(i).check()
    shot(page, "03-verification-checklist")
    page.get_by_role("button", name="Record first check").click()
    assert page.get_by_text("First check recorded").is_visible()
    # the same person is not offered the second check
    page.get_by_role("link", name="Verification checklist").click()
    assert page.get_by_text(
        "The second check must be made by someone else."
    ).is_visible()
    assert (
        page.get_by_role("button", name=re.compile("Confirm verification")).count() == 0
    )
    sign_out(page)

    # a second verifier confirms
    sign_in(page, live_server, "verifier2")
    open_order(page, live_server, number)
    page.get_by_role("link", name="Open the verification checklist").click()
    page.get_by_role("button", name=re.compile("Confirm verification")).click()
    assert page.get_by_text(f"Order {number} verified.").is_visible()
    sign_out(page)

    # the clerk runs the inventory check and records the bank transfer
    sign_in(page, live_server, "clerk")
    open_order(page, live_server, number)
    page.get_by_role("button", name="Run the inventory check").click()
    assert page.locator("h1 .badge").first.inner_text() == "Allocated"
    page.get_by_role("link", name="Record a payment").click()
    page.get_by_label("Method").select_option("bank_transfer")
    page.get_by_label("Reference").fill("Transfer 2026-11-26")
    shot(page, "04-payment")
    page.get_by_role("button", name="Record payment").click()
    assert page.locator("h1 .badge").first.inner_text() == "Paid"
    shot(page, "05-order-paid")
    sign_out(page)

    # the warehouse prints the pick list from the order list and starts picking
    sign_in(page, live_server, "warehouse")
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_label("Search").fill(number)
    page.get_by_role("button", name="Filter").click()
    page.get_by_label(f"Tick {number}").check()
    page.get_by_role("button", name="Print pick lists").click()
    sheet = page.locator("section.sheet").first
    assert "CF-1001" in sheet.inner_text() and "CF-1002" in sheet.inner_text()
    shot(page, "06-pick-list")
    page.get_by_role("button", name=re.compile("Start picking 1 paid order")).click()
    assert Order.objects.get(number=number).status == OrderStatus.PICKING

    # packs: a wrong SKU is refused, then the right units pass
    open_order(page, live_server, number)
    page.get_by_role("link", name="Packing slip").click()
    shot(page, "07-packing-slip")
    open_order(page, live_server, number)
    page.get_by_role("link", name="Pack: scan the units").click()
    scans = page.get_by_label("Scanned SKUs")
    scans.fill("CF-1001\nCF-1001\nCF-1003")
    # the page tallies the scans as they come in (the server checks again)
    assert page.locator('tr[data-sku="CF-1001"] [data-scanned]').inner_text() == "2 / 2"
    assert page.get_by_text("Not on this order: CF-1003").is_visible()
    page.get_by_role("button", name="Check the parcel and mark packed").click()
    assert page.get_by_text("CF-1003 is not on this order").is_visible()
    shot(page, "08-pack-refused")
    assert Order.objects.get(number=number).status == OrderStatus.PICKING
    page.get_by_label("Scanned SKUs").fill("CF-1001\nCF-1001\nCF-1002")
    page.get_by_role("button", name="Check the parcel and mark packed").click()
    assert page.locator("h1 .badge").first.inner_text() == "Packed"

    # ships with a tracking number
    page.get_by_role("link", name="Ship a parcel").click()
    page.get_by_label("Carrier").select_option("DHL")
    page.get_by_label("Tracking number").fill("00340434161234567890")
    shot(page, "09-ship")
    page.get_by_role("button", name="Ship", exact=True).click()
    assert page.locator("h1 .badge").first.inner_text() == "Shipped"
    shot(page, "10-order-shipped")

    # the customer's page shows it shipped, with the tracking number
    order = Order.objects.get(number=number)
    page.goto(f"{live_server.url}/track/{order.tracking_token}/")
    assert page.locator('[aria-current="step"]').inner_text().strip() == "Shipped"
    assert page.get_by_role("link", name="00340434161234567890").is_visible()
    shot(page, "11-customer-status-page")
    assert order.events.filter(type=OrderEvent.Type.PACK_CHECK_FAILED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_forbidden_move_is_not_offered_and_refused_if_posted(demo, live_server, page):
    order = Order.objects.filter(status=OrderStatus.ALLOCATED).first()
    sign_in(page, live_server, "warehouse")
    open_order(page, live_server, order.number)
    assert page.get_by_role("button", name="Cancel order").count() == 0
    # post the cancel form anyway, with the page's own CSRF token
    with page.expect_navigation():
        page.evaluate(
            """([action, status]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            for (const [name, value] of [["csrfmiddlewaretoken", token], ["status", status], ["cancel-reason", "Because I can"], ["cancel-confirm", "on"]]) {
                const input = document.createElement("input");
                input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
            [f"/staff/orders/{order.number}/move/cancel/", order.status],
        )
    assert page.get_by_text(
        f"You may not “cancel order” on order {order.number}."
    ).is_visible()
    shot(page, "12-forbidden-move-refused")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED


TABLET = {"width": 768, "height": 1024}
LAPTOP = {"width": 1366, "height": 768}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["768", "1366"])
def test_the_staff_pages_fit_a_tablet_and_a_laptop(
    demo, live_server, browser, viewport
):
    """Nothing runs off the side of a tablet held upright or a 1366 px laptop (tables
    scroll inside their box), and every page passes the basic accessibility checks,
    text contrast included."""
    width = viewport["width"]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    picking = Order.objects.filter(status=OrderStatus.PICKING).first()
    packed = Order.objects.filter(status=OrderStatus.PACKED).first()
    placed = Order.objects.filter(status=OrderStatus.PLACED).first()
    paid = Order.objects.filter(status=OrderStatus.PAID).first()
    sign_in(page, live_server, "manager")
    pages = {
        "dashboard": "/staff/",
        "order-list": "/staff/orders/",
        "order": f"/staff/orders/{picking.number}/",
        "verification": f"/staff/orders/{placed.number}/verification/",
        "correct": f"/staff/orders/{placed.number}/correct/",
        "pick-list": f"/staff/pick-list/?orders={picking.number}",
        "pack": f"/staff/orders/{picking.number}/pack/",
        "ship": f"/staff/orders/{packed.number}/ship/",
        "payment": f"/staff/orders/{Order.objects.filter(status=OrderStatus.ALLOCATED).first().number}/payment/",
        "new-order": "/staff/orders/new/",
        "packing-slip": f"/staff/packing-slips/?orders={picking.number}",
        "backorders": "/staff/backorders/",
        "stock": "/staff/inventory/",
        "inventory-health": "/staff/inventory/health/",
        "receipts": "/staff/inventory/receipts/",
        "counts": "/staff/inventory/counts/",
        "customer-status-page": f"/track/{packed.tracking_token}/",
        "email": f"/staff/orders/{packed.number}/emails/{packed.notifications.first().pk}/",
        "new-order-with-matches": "/staff/orders/new/?find=a",
        "my-orders": "/staff/orders/?owner=me",
        "refund": f"/staff/orders/{paid.number}/refund/",
        "discount": f"/staff/orders/{placed.number}/discount/",
        "admin-order": f"/admin/orders/order/{paid.pk}/change/",
        "store-deliveries": "/staff/intake/",
        "import": "/staff/import/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        shot(page, f"{width}-{name}")
        assert accessibility_problems(page) == [], (width, name)
        overflow = page.evaluate(
            "document.scrollingElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than {width} px"
    context.close()

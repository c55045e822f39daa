"""A late order in a real browser, on the demo data: the scan finds it, a clerk tells
the customer why and when, the customer follows the notice's link and takes what
is in stock now, and a manager reads the delay review."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from inventory.models import Product
from orders import demo as demo_steps
from orders.core import services
from orders.delays.services import delays_scan
from orders.models import Delay, Notification, Order, OrderStatus
from orders.money.pricing import LineInput
from orders.stock.services import order_check_inventory
from tests.browser.conftest import accessibility_problems, sign_in
from tests.browser.test_back_office import demo, shot  # noqa: F401

S = OrderStatus


def a_late_backorder() -> Order:
    """A phone order of one coffee in stock and one out of stock, past its ship-by date."""
    users = get_user_model().objects
    crew = demo_steps.Crew(
        clerk=users.get(username="clerk"),
        verifier=users.get(username="verifier"),
        warehouse=users.get(username="warehouse"),
    )
    in_stock = Product.objects.get(sku="CF-1001")
    missing = Product.objects.get(sku="CF-1028")
    order = services.order_place(
        customer=Order.objects.first().customer,
        channel="phone",
        actor=crew.clerk,
        lines=[LineInput(in_stock, 1), LineInput(missing, 1)],
    )
    order = demo_steps.advance(order, S.VERIFIED, crew=crew)
    order = order_check_inventory(order=order, actor=crew.warehouse)
    assert order.status == S.BACKORDERED
    Order.objects.filter(pk=order.pk).update(
        ship_by=timezone.localdate() - timedelta(days=2)
    )
    return Order.objects.get(pk=order.pk)


@pytest.mark.django_db(transaction=True)
def test_from_detection_to_the_customers_choice_to_the_review(
    demo,  # noqa: F811
    live_server,
    page,
    browser,
):
    order = a_late_backorder()
    delays_scan()
    case = Delay.objects.get(order=order, status=Delay.Status.OPEN)

    # the clerk sees the case among those to explain, pre-filled with the cause
    sign_in(page, live_server, "clerk")
    page.get_by_role("link", name="Delays", exact=True).click()
    page.get_by_role("link", name=order.number).click()
    assert (
        "CF-1028: 1 missing"
        in page.get_by_label(re.compile("What happened")).input_value()
    )
    assert page.get_by_label("Cause").locator("option:checked").inner_text() in (
        "Stock shortage",
        "Supplier late",
    )
    assert accessibility_problems(page) == []
    shot(page, "delay-01-case")
    new_date = timezone.localdate() + timedelta(days=10)
    page.get_by_label("New delivery date").fill(new_date.isoformat())
    page.get_by_role("button", name="Tell the customer").click()
    assert "The customer is told" in page.locator(".alert-success").inner_text()

    # the customer follows the link in the notice
    notice = Notification.objects.get(order=order, kind="order_delayed")
    link = re.search(r"https?://\S+#delay", notice.body_text).group(0)
    customer = browser.new_context(viewport={"width": 390, "height": 844})
    phone = customer.new_page()
    phone.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    box = phone.locator("[data-delay]")
    assert "Your order is delayed" in box.inner_text()
    assert new_date.strftime("%Y") in box.inner_text()
    phone.get_by_label(re.compile("Ship what is available now")).check()
    assert accessibility_problems(phone) == []
    shot(phone, "delay-02-customer-choice")
    phone.get_by_role("button", name="Send my answer").click()
    assert "We have your answer" in phone.locator(".alert-success").inner_text()
    assert (
        "You chose: ship what is available now"
        in phone.locator("[data-delay]").inner_text()
    )
    customer.close()
    child = Order.objects.get(split_from=order)
    assert [line.sku for line in child.lines.all()] == ["CF-1028"]
    order.refresh_from_db()
    assert order.status == S.ALLOCATED

    # the clerk sees the answer on the case
    page.goto(f"{live_server.url}/staff/delays/{case.pk}/")
    assert page.locator("[data-choice]").get_attribute("data-choice") == "partial"

    # a manager reads the review: the figures, the charts and the tables
    page.get_by_role("button", name=re.compile("Log out")).click()
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/staff/delays/")
    page.get_by_role("link", name="Delay review").click()
    page.wait_for_selector("#chart-week[data-drawn='true']")
    assert int(page.locator("[data-figure='cases']").inner_text()) >= 1
    causes = page.locator("[data-review-table='cause']").inner_text()
    assert "Stock shortage" in causes or "Supplier late" in causes
    assert page.locator("[data-review-table='product']").get_by_text("CF-1028").count()
    assert accessibility_problems(page) == []
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide
    shot(page, "delay-03-review")

"""A return in a real browser, on the demo data: the customer asks on their phone
from the status page, the warehouse receives the parcel, another person inspects
it and refunds, and the refund shows on the order's payments."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus
from returns.models import RS, Return
from tests.browser.conftest import accessibility_problems, sign_in
from tests.browser.test_back_office import demo, shot  # noqa: F401


def a_delivered_order() -> Order:
    order = (
        Order.objects.filter(status=OrderStatus.DELIVERED, returns__isnull=True)
        .exclude(lines__product__returnable=False)
        .order_by("pk")
        .first()
    )
    Order.objects.filter(pk=order.pk).update(
        delivered_at=timezone.now() - timedelta(days=3)
    )
    return Order.objects.get(pk=order.pk)


@pytest.mark.django_db(transaction=True)
def test_from_the_customers_request_to_the_refund(
    demo,  # noqa: F811
    live_server,
    page,
    browser,
):
    order = a_delivered_order()
    line = order.lines.order_by("pk").first()

    # the customer, on a phone, starts a return from the status page: 5 clicks
    customer = browser.new_context(viewport={"width": 390, "height": 844})
    phone = customer.new_page()
    phone.goto(f"{live_server.url}/track/{order.tracking_token}/")
    phone.get_by_role("link", name="Return items").click()  # 1
    box = phone.locator(f"[data-line='{line.pk}']")
    box.get_by_label("How many").fill("1")  # 2
    box.get_by_label("Why").select_option("damaged")  # 3
    phone.get_by_label(re.compile("Refund to the original payment")).check()  # 4
    assert accessibility_problems(phone) == []
    shot(phone, "return-01-request")
    phone.get_by_role("button", name="Ask for the return").click()  # 5
    assert "is approved" in phone.locator(".alert-success").inner_text()
    rma = Return.objects.get(order=order)
    card = phone.locator(f"[data-rma='{rma.number}']")
    assert "Please send the items to" in card.inner_text()
    assert not phone.evaluate(
        "document.documentElement.scrollWidth > window.innerWidth"
    )
    shot(phone, "return-02-instructions")

    # the warehouse receives the parcel
    sign_in(page, live_server, "warehouse")
    page.get_by_role("link", name="Returns", exact=True).click()
    page.get_by_role("link", name=re.compile("Awaiting the parcel")).click()
    page.get_by_role("link", name=rma.number).click()
    page.get_by_role("button", name="Received").click()
    assert "Received" in page.locator(".alert-success").inner_text()
    page.get_by_role("button", name=re.compile("Log out")).click()

    # another person inspects it and refunds: five clicks from the dashboard
    sign_in(page, live_server, "returns")
    page.get_by_role("link", name="Returns", exact=True).click()  # 1
    page.get_by_role("link", name=re.compile("To inspect")).click()  # 2
    page.get_by_role("link", name=rma.number).click()  # 3
    preview = page.locator("[data-preview]").inner_text()
    assert accessibility_problems(page) == []
    shot(page, "return-03-inspection")
    page.get_by_role("button", name="Save the inspection").click()  # 4
    refund = page.locator("[data-refund]")
    assert re.search(r"[\d.,]+ EUR", preview).group(0) in refund.inner_text()
    refund.click()  # 5
    assert "Refund on its way" in page.locator(".alert-success").inner_text()
    rma.refresh_from_db()
    assert rma.status == RS.REFUNDED

    # the refund is on the order's payments, and the customer sees the progress
    page.goto(f"{live_server.url}/staff/orders/{order.number}/")
    assert rma.number in page.locator("[data-returns]").inner_text()
    assert "Refunded" in page.content() or "refunded" in page.content()
    phone.reload()
    assert "Refunded" in phone.locator(f"[data-rma='{rma.number}']").inner_text()
    customer.close()

    # a manager reads the analytics: figures, both charts drawn, the tables
    page.get_by_role("button", name=re.compile("Log out")).click()
    sign_in(page, live_server, "manager")
    page.get_by_role("link", name="Returns", exact=True).click()
    page.get_by_role("link", name="Returns analytics").click()
    page.wait_for_selector("#chart-returns-week[data-drawn='true']")
    page.wait_for_selector("#chart-returns-reason[data-drawn='true']")
    assert int(page.locator("[data-figure='requested']").inner_text()) >= 1
    reasons = page.locator("[data-return-table='reason']").inner_text()
    assert "Arrived damaged" in reasons
    assert accessibility_problems(page) == []
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shot(page, "return-04-analytics")

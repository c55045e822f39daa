"""The README's "try the money side" walk, from the staff order page only (no admin)."""

import re
from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus, Payment, Refund
from orders.money.position import money_position
from tests.browser.conftest import sign_in


def money_box(page) -> str:
    return page.locator(".money-position").first.inner_text()


@pytest.mark.django_db(transaction=True)
def test_the_money_side_from_the_staff_order_page(
    demo_data, live_server, page, browser
):
    unpaid = [
        o
        for o in Order.objects.filter(status=OrderStatus.ALLOCATED).order_by("pk")
        if not o.payments.exists() and not o.discounts.exists()
    ]
    order, other = unpaid[0], unpaid[1]
    url = f"{live_server.url}/staff/orders/{order.number}/"
    sign_in(page, live_server, "clerk")
    page.goto(url)
    assert "Still to pay" in money_box(page)

    # a second tab opens the payment page too, before the first one pays
    second = page.context.new_page()
    second.goto(url + "payment/")

    page.get_by_role("link", name="Record a payment").click()
    page.get_by_label("Method").select_option("card")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Record payment").click()
    assert page.locator("h1 .badge").first.inner_text() == "Paid"
    assert "Still to pay" not in money_box(page)
    assert page.get_by_role("link", name="Record a payment").count() == 0

    # the second tab's submit takes nothing: nothing more is owed
    second.get_by_label("Method").select_option("bank_transfer")
    second.get_by_role("button", name="Record payment").click()
    assert second.get_by_text("Nothing is owed on this order.").is_visible()
    assert order.payments.count() == 1
    second.close()

    # a partial refund to the card: shown as refunded, never as money owed
    page.get_by_role("link", name="Refund", exact=True).click()
    page.get_by_label("Amount").fill("5.00")
    page.locator("#id_reason").fill("Dented tin")
    page.get_by_role("button", name="Refund", exact=True).click()
    box = money_box(page)
    assert "Refunded" in box and "5.00" in box and "Still to pay" not in box
    assert not re.search(r"\d\.\d{3,}", box)  # amounts quantized to cents
    refund = Refund.objects.get(order=order)
    assert refund.amount == Decimal("5.00")
    position = money_position(Order.objects.get(pk=order.pk))
    assert (position.owed, position.refunded) == (0, Decimal("5.00"))

    # a discount code on another unpaid order
    before = other.total
    page.goto(f"{live_server.url}/staff/orders/{other.number}/")
    page.get_by_role("link", name="Discount", exact=True).click()
    page.get_by_label("Discount code").fill("WELCOME10")
    page.get_by_role("button", name="Apply discount").click()
    assert "WELCOME10" in page.locator("main").inner_text()
    other.refresh_from_db()
    assert other.discounts.count() == 1 and other.total < before
    assert Payment.objects.filter(order=other).count() == 0

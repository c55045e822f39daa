"""A customer finds their delivered order and confirms receipt with a rating, in Chromium."""

import random

import pytest

from orders import demo
from orders.models import Order, OrderStatus


@pytest.mark.django_db(transaction=True)
def test_a_customer_confirms_receipt_with_a_rating(live_server, page, place, crew):
    order = demo.advance(
        place(), OrderStatus.DELIVERED, crew=crew, rng=random.Random(3)
    )

    # the customer looks the order up by number and email (a typo first)
    page.goto(f"{live_server.url}/track/")
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("Email address").fill("typo@example.com")
    page.get_by_role("button", name="Show my order").click()
    assert page.get_by_text("We could not find an order").is_visible()
    page.get_by_label("Email address").fill(order.customer.email)
    page.get_by_role("button", name="Show my order").click()

    # sees where it is and is asked whether everything arrived
    assert page.get_by_role("heading", name=f"Your order {order.number}").is_visible()
    assert page.locator('[aria-current="step"]').inner_text().strip() == "Delivered"
    assert page.get_by_role(
        "heading", name="Did you receive everything, and are you satisfied?"
    ).is_visible()

    # answers yes, 4 of 5, with a comment
    page.get_by_label("4 – good", exact=True).check()
    page.get_by_label("Anything you want to tell us (optional)").fill(
        "Quick and well packed."
    )
    page.get_by_role("button", name="Yes, everything arrived").click()

    assert page.get_by_text("Thank you! Your order is complete.").is_visible()
    assert page.get_by_text("rating us 4 of 5").is_visible()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert (order.feedback.rating, order.feedback.comment) == (
        4,
        "Quick and well packed.",
    )
    completed = Order.objects.get(pk=order.pk).events.get(type="completed")
    assert (completed.actor_kind, completed.data["rating"]) == ("customer", 4)

"""The customer pays online: "Pay now" on the status page and in the balance-due
email, the provider's hosted page (the test gateway's), back to the status page;
recorded once by the staff card service."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.money.models import PaymentLink
from orders.money.providers import TestCardProvider as Card

S = OrderStatus


def pay_now(client, order):
    """Click "Pay now": where it sends the customer."""
    response = client.post(reverse("track:pay", args=[order.tracking_token]))
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.django_db
def test_pay_now_on_the_status_page_pays_once_and_returns(client, order_in):
    order = order_in(S.ALLOCATED)
    page = client.get(
        reverse("track:order", args=[order.tracking_token])
    ).content.decode()
    assert "data-pay-now" in page and "Pay now" in page
    hosted = pay_now(client, order)
    assert hosted.startswith("/pay/test/")
    assert str(order.total) in client.get(hosted).content.decode().replace(",", "")
    response = client.post(hosted, {"card_number": Card.OK}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "track:order", args=[order.tracking_token]
    )
    assert "paid" in str(list(response.context["messages"])[0]).lower()
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.PAID
    [payment] = order.payments.all()
    assert (payment.method, payment.status, payment.amount) == (
        "card",
        "captured",
        order.total,
    )
    placed = order.events.get(type="payment_captured")
    assert placed.actor_kind == "customer"
    # back button, a second submit, a second click on the email link: nothing more
    client.post(hosted, {"card_number": Card.OK})
    assert order.payments.count() == 1
    assert PaymentLink.objects.get().status == "paid"
    again = client.post(reverse("track:pay", args=[order.tracking_token]), follow=True)
    assert "Nothing is left to pay" in again.content.decode()
    page = client.get(
        reverse("track:order", args=[order.tracking_token])
    ).content.decode()
    assert "data-pay-now" not in page


@pytest.mark.django_db
def test_a_declined_card_can_be_followed_by_another(client, order_in):
    order = order_in(S.ALLOCATED)
    hosted = pay_now(client, order)
    refused = client.post(hosted, {"card_number": Card.DECLINED})
    assert refused.status_code == 200 and "declined" in refused.content.decode()
    assert not order.payments.filter(status="captured").exists()
    tried = order.payments.count()
    for bad in ("", "-1", "4242424242424241", "x" * 10_000, "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"):
        response = client.post(hosted, {"card_number": bad})
        assert response.status_code == 200 and response.context["form"].errors
    assert order.payments.count() == tried  # none of them reached the gateway
    client.post(hosted, {"card_number": Card.OK})
    assert order.payments.filter(status="captured").count() == 1


@pytest.mark.django_db
def test_only_what_is_due_and_only_when_it_can_be_paid(client, order_in, place):
    placed = place()  # not verified yet: its price may still change
    page = client.get(
        reverse("track:order", args=[placed.tracking_token])
    ).content.decode()
    assert "data-pay-now" not in page
    response = client.post(
        reverse("track:pay", args=[placed.tracking_token]), follow=True
    )
    assert "Nothing is left to pay" in response.content.decode()
    assert not PaymentLink.objects.exists()
    assert client.get("/pay/test/" + "x" * 64 + "/").status_code == 404
    assert client.post(reverse("track:pay", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_the_balance_due_email_links_to_pay_now(order_in, staff):
    from orders.money import refunds

    order = order_in(S.PAID)
    # a discount taken back after payment leaves a balance
    Order.objects.filter(pk=order.pk).update(total=order.total + Decimal("5.00"))
    order.refresh_from_db()
    refunds.order_request_balance(
        order=order, actor=staff["clerk"], submission_key="k1"
    )
    email = order.notifications.get(kind="order_balance_due")
    assert f"/track/{order.tracking_token}/pay/" in email.body_text
    assert f"/track/{order.tracking_token}/pay/" in email.body_html

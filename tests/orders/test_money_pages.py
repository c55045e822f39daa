"""Money from the order's admin page, and invoices as printable HTML and PDF."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Invoice, Order, OrderStatus, Payment, Refund
from orders.money.providers import TestCardProvider as Card
from orders.permissions import Role

S = OrderStatus


@pytest.fixture
def clerk_client(client, staff):
    client.force_login(staff[Role.CLERK])
    return client


@pytest.mark.django_db
def test_taking_a_card_payment_from_the_admin(clerk_client, order_in):
    order = order_in(S.ALLOCATED)
    url = reverse("admin:orders_order_payment", args=[order.pk])
    assert clerk_client.get(url).status_code == 200
    response = clerk_client.post(
        url, {"method": "card", "amount": str(order.total), "card_number": Card.OK}
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
def test_a_declined_card_is_a_message_not_an_error(clerk_client, order_in):
    order = order_in(S.ALLOCATED)
    url = reverse("admin:orders_order_payment", args=[order.pk])
    response = clerk_client.post(
        url,
        {"method": "card", "amount": str(order.total), "card_number": Card.DECLINED},
        follow=True,
    )
    assert response.status_code == 200
    assert "The card was declined." in response.content.decode()
    assert order.payments.get().status == Payment.Status.FAILED


@pytest.mark.django_db
def test_a_double_submitted_refund_form_refunds_once(
    clerk_client, order_in, django_capture_on_commit_callbacks
):
    order = order_in(S.PAID)
    url = reverse("admin:orders_order_refund", args=[order.pk])
    form = clerk_client.get(url).context["form"]
    data = {
        "amount": "2.00",
        "reason": "Scratched",
        "outcome": "original_method",
        "idempotency_key": form.initial["idempotency_key"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(url, data)
        clerk_client.post(url, data)
    assert Refund.objects.filter(order=order).count() == 1
    assert order.payments.get().amount_refunded == Decimal("2.00")


@pytest.mark.django_db
def test_warehouse_staff_cannot_refund(client, staff, order_in):
    client.force_login(staff[Role.WAREHOUSE])
    order = order_in(S.PAID)
    assert (
        client.get(reverse("admin:orders_order_refund", args=[order.pk])).status_code
        == 403
    )


@pytest.mark.django_db
def test_a_staff_discount_needs_a_reason(clerk_client, order_in):
    order = order_in(S.PLACED)
    url = reverse("admin:orders_order_discount", args=[order.pk])
    response = clerk_client.post(url, {"kind": "fixed", "value": "5.00"})
    assert "needs a value and a reason" in response.content.decode()
    clerk_client.post(
        url, {"kind": "fixed", "value": "5.00", "reason": "Late last time"}
    )
    assert Order.objects.get(pk=order.pk).discount_total == Decimal("5.00")


@pytest.mark.django_db
def test_the_order_page_shows_price_differences_and_balance(clerk_client, order_in):
    order = order_in(S.PLACED)
    line = order.lines.get()
    line.product.unit_price = line.unit_price + 1
    line.product.save()
    page = clerk_client.get(
        reverse("admin:orders_order_change", args=[order.pk])
    ).content.decode()
    assert "Prices that differ from today" in page
    assert "The customer still owes" in page


@pytest.mark.django_db
def test_invoice_html_and_pdf(clerk_client, order_in):
    invoice = order_in(S.PAID).invoices.get(kind=Invoice.Kind.INVOICE)
    page = clerk_client.get(
        reverse("orders:invoice", args=[invoice.number])
    ).content.decode()
    assert invoice.number in page and "@media print" in page
    response = clerk_client.get(reverse("orders:invoice_pdf", args=[invoice.number]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert invoice.number.encode() in response.content or len(response.content) > 1000


@pytest.mark.django_db
def test_invoices_are_for_staff_only(client, order_in):
    invoice = order_in(S.PAID).invoices.get()
    assert (
        client.get(reverse("orders:invoice", args=[invoice.number])).status_code == 302
    )


@pytest.mark.django_db
def test_staff_reply_from_the_admin_emails_the_customer(
    clerk_client, order_in, mailoutbox, django_capture_on_commit_callbacks
):
    order = order_in(S.SHIPPED)
    mailoutbox.clear()
    url = reverse("admin:orders_order_reply", args=[order.pk])
    assert clerk_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(url, {"body": "It leaves today."})
    assert order.messages.get().from_customer is False
    [email] = mailoutbox
    assert email.to == [order.customer.email] and "It leaves today." in email.body


# ------------------------------------------------------------------------------
# The staff order page's payment form
# ------------------------------------------------------------------------------
def _payment_url(order):
    return reverse("orders:payment", args=[order.number])


@pytest.mark.django_db
def test_a_clerk_records_a_bank_transfer_and_the_order_is_paid(client, staff, order_in):
    order = order_in(OrderStatus.ALLOCATED)
    client.force_login(staff[Role.CLERK])
    page = client.get(_payment_url(order))
    assert page.context["form"]["amount"].value() == order.total
    client.post(
        _payment_url(order),
        {"method": "bank_transfer", "amount": order.total, "received": "on"},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payments.get().amount_captured == order.total


@pytest.mark.django_db
def test_a_declined_card_is_shown_on_the_form_and_nothing_is_captured(
    client, staff, order_in
):
    order = order_in(OrderStatus.ALLOCATED)
    client.force_login(staff[Role.CLERK])
    response = client.post(
        _payment_url(order),
        {"method": "card", "amount": order.total, "card_number": "4000000000000002"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert order.amount_captured() == 0


@pytest.mark.django_db
def test_the_warehouse_may_not_record_payments(client, staff, order_in):
    order = order_in(OrderStatus.ALLOCATED)
    client.force_login(staff[Role.WAREHOUSE])
    assert client.get(_payment_url(order)).status_code == 403
    assert (
        "Record a payment"
        not in client.get(
            reverse("orders:detail", args=[order.number])
        ).content.decode()
    )

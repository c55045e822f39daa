"""Money on the order's staff pages (payments, refunds, discounts, the balance), and invoices."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Invoice, Order, OrderStatus, Payment, Refund
from orders.money import discounts, payments
from orders.money.position import money_position
from orders.money.providers import TestCardProvider as Card
from orders.permissions import Role

S = OrderStatus


@pytest.mark.django_db
def test_taking_a_card_payment(clerk_client, order_in):
    order = order_in(S.ALLOCATED)
    url = reverse("orders:payment", args=[order.number])
    assert clerk_client.get(url).status_code == 200
    response = clerk_client.post(
        url,
        {"method": "card", "amount": str(order.total), "card_number": Card.OK},
        follow=True,
    )
    order = Order.objects.get(pk=order.pk)
    assert order.status == S.PAID
    # the message says what happened, in the timeline's words
    [said] = [str(m) for m in response.context["messages"]]
    invoice = order.invoices.get()
    assert said.startswith(f"{order.number}: ") and invoice.number in said, said
    assert "Paid" in said and "Order updated" not in said


def _refund_data(client, order, **overrides):
    form = client.get(reverse("orders:refund", args=[order.number])).context["form"]
    return {
        "amount": "2.00",
        "reason": "Scratched",
        "outcome": "original_method",
        "idempotency_key": form.initial["idempotency_key"],
        **overrides,
    }


@pytest.mark.django_db
def test_a_double_submitted_refund_form_refunds_once(
    clerk_client, order_in, django_capture_on_commit_callbacks
):
    order = order_in(S.PAID)
    url = reverse("orders:refund", args=[order.number])
    data = _refund_data(clerk_client, order)
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(url, data)
        clerk_client.post(url, data)
    assert Refund.objects.filter(order=order).count() == 1
    assert order.payments.get().amount_refunded == Decimal("2.00")


@pytest.mark.django_db
def test_a_refund_above_what_was_paid_is_refused_on_the_form(clerk_client, order_in):
    order = order_in(S.PAID)
    url = reverse("orders:refund", args=[order.number])
    response = clerk_client.post(
        url, _refund_data(clerk_client, order, amount=str(order.total + 1))
    )
    assert response.status_code == 200
    assert "can still be refunded" in response.content.decode()
    assert not Refund.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_a_failed_refund_is_tried_again_from_the_order_page(
    clerk_client, order_in, crew, django_capture_on_commit_callbacks
):
    order = order_in(S.ALLOCATED)
    payments.payment_take_card(
        order=order,
        amount=order.total,
        card_number=Card.REFUND_DECLINED,
        actor=crew.clerk,
    )
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(
            reverse("orders:refund", args=[order.number]),
            _refund_data(clerk_client, order),
        )
    refund = Refund.objects.get(order=order)
    assert refund.status == Refund.Status.FAILED
    page = clerk_client.get(reverse("orders:detail", args=[order.number]))
    assert reverse("orders:refund_retry", args=[order.number, refund.pk]) in (
        page.content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(
            reverse("orders:refund_retry", args=[order.number, refund.pk]),
            {"status": "paid"},
        )
    assert order.events.filter(type="refund_retried").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.ALL)
def test_only_refunders_may_refund(client, staff, order_in, role):
    client.force_login(staff[role])
    order = order_in(S.PAID)
    allowed = role in (Role.CLERK, Role.RETURNS, Role.MANAGER)
    response = client.get(reverse("orders:refund", args=[order.number]))
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.django_db
def test_a_staff_discount_needs_a_reason_and_can_be_removed(clerk_client, order_in):
    order = order_in(S.PLACED)
    url = reverse("orders:discount", args=[order.number])
    response = clerk_client.post(url, {"kind": "fixed", "value": "5.00"})
    assert "needs a value and a reason" in response.content.decode()
    response = clerk_client.post(
        url, {"kind": "fixed", "value": "5.00", "reason": "Late last time"}, follow=True
    )
    order = Order.objects.get(pk=order.pk)
    assert order.discount_total == Decimal("5.00")
    [said] = [str(m) for m in response.context["messages"]]
    assert said.startswith(order.number) and "Late last time" in said, said
    discount = order.discounts.get()
    clerk_client.post(
        reverse("orders:discount_remove", args=[order.number, discount.pk]),
        {"status": order.status},
    )
    assert Order.objects.get(pk=order.pk).discount_total == 0
    # a second click on the same button is a message, not an error page
    again = clerk_client.post(
        reverse("orders:discount_remove", args=[order.number, discount.pk]),
        {"status": order.status},
        follow=True,
    )
    assert again.status_code == 200
    assert "no longer on the order" in again.content.decode()
    assert list(
        order.events.filter(type__startswith="discount").values_list("type", flat=True)
    ) == [
        "discount_granted",
        "discount_removed",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.ALL)
def test_only_discount_holders_may_apply_a_code(client, staff, order_in, role):
    """Every role tries a discount code; only those with the permission succeed."""
    from tests.factories.orders import DiscountCodeFactory

    DiscountCodeFactory(code="TENOFF", kind="percent", value=Decimal("10"))
    order = order_in(S.PLACED)
    client.force_login(staff[role])
    response = client.post(
        reverse("orders:discount", args=[order.number]), {"code": "TENOFF"}
    )
    allowed = role in (Role.CLERK, Role.MANAGER)
    assert response.status_code == (302 if allowed else 403)
    assert Order.objects.get(pk=order.pk).discounts.exists() is allowed


@pytest.mark.django_db
def test_the_balance_actions_of_the_order_page(
    clerk_client, order_in, crew, mailoutbox, django_capture_on_commit_callbacks
):
    # underpaid: the customer is asked for the rest
    order = order_in(S.ALLOCATED)
    payments.payment_record_manual(
        order=order, method="bank_transfer", amount=Decimal("1.00"), actor=crew.clerk
    )
    page = clerk_client.get(reverse("orders:detail", args=[order.number]))
    owed = money_position(order).owed
    assert f"{owed:.2f} EUR" in page.content.decode() and "Still to pay" in (
        page.content.decode()
    )
    key = page.context["page_key"]
    mailoutbox.clear()
    url = reverse("orders:request_balance", args=[order.number])
    for _click in range(2):  # a double click asks once
        with django_capture_on_commit_callbacks(execute=True):
            clerk_client.post(url, {"status": order.status, "submission": key})
    assert order.events.filter(type="balance_requested").count() == 1
    [email] = mailoutbox
    assert f"{owed:.2f} EUR is still due" in email.body
    # a reminder later is a new page, and is sent
    key = clerk_client.get(reverse("orders:detail", args=[order.number])).context[
        "page_key"
    ]
    clerk_client.post(url, {"status": order.status, "submission": key})
    assert order.events.filter(type="balance_requested").count() == 2
    # overpaid (a discount after the payment): the excess goes back
    payments.payment_record_manual(
        order=order,
        method="bank_transfer",
        amount=owed - Decimal("0.01"),
        actor=crew.clerk,
    )
    discounts.discount_staff_grant(
        order=Order.objects.get(pk=order.pk),
        kind="fixed",
        value=Decimal("1.00"),
        reason="Goodwill",
        actor=crew.clerk,
    )
    order = Order.objects.get(pk=order.pk)
    assert money_position(order).refund_due > 0
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(
            reverse("orders:refund_excess", args=[order.number]),
            {"status": order.status},
        )
    position = money_position(Order.objects.get(pk=order.pk))
    assert (position.refund_due, position.owed, position.held) == (
        0,
        0,
        order.total,
    )


@pytest.mark.django_db
def test_the_order_pages_show_price_differences(clerk_client, order_in):
    order = order_in(S.PLACED)
    line = order.lines.get()
    line.product.unit_price = line.unit_price + 1
    line.product.save()
    for url in (
        reverse("orders:detail", args=[order.number]),
        reverse("admin:orders_order_change", args=[order.pk]),
    ):
        assert "Prices that differ from today" in clerk_client.get(url).content.decode()


@pytest.mark.django_db
def test_the_admin_inspects_an_order_and_sends_people_to_its_staff_page(
    clerk_client, order_in
):
    order = order_in(S.ALLOCATED)
    page = clerk_client.get(
        reverse("admin:orders_order_change", args=[order.pk])
    ).content.decode()
    assert reverse("orders:detail", args=[order.number]) in page
    # no copies of the staff page's actions: no transition buttons, no money forms
    assert "_fsmtransition" not in page
    for gone in ("payment", "refund", "discount", "reply", "balance"):
        assert f"/admin/orders/order/{order.pk}/{gone}/" not in page


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
    assert order.payments.get().status == Payment.Status.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert money_position(order).captured == 0


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

"""Paying online: the customer's "Pay now" on the status page and in the
balance-due email runs the provider's hosted payment page, and the payment is
recorded by the same card service as staff payments, once.

``ORDERS_HOSTED_PAYMENT_PROVIDER`` names the provider; the test card gateway
simulates its hosted page on this site (``/pay/test/<link>/``) with its test
card numbers. A real provider returns its own page's address from
``hosted_page_url`` and confirms the payment when the customer comes back.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import Order, OrderStatus
from orders.core.transitions import lock_order
from orders.exceptions import InvalidOrder
from orders.money import payments
from orders.money.models import Payment, PaymentLink
from orders.money.position import money_position
from ordersite.actors import CUSTOMER

# "Pay now" is offered once the order is confirmed (verified) and until it ends:
# before that its price may still be corrected.
PAYABLE = {
    OrderStatus.VERIFIED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.PAID,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
}


def amount_due(order: Order):
    """What "Pay now" would take now: nothing before verification, on hold, or
    once the order is finished."""
    if order.status not in PAYABLE:
        return 0
    return money_position(order).payable


def payment_link_open(*, order: Order) -> PaymentLink:
    """A link for what is due now (the open one for that amount, if any)."""
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        due = amount_due(order)
        if due <= 0:
            raise InvalidOrder(_("Nothing is left to pay on this order."))
        link = order.payment_links.filter(
            status=PaymentLink.Status.OPEN, amount=due
        ).first()
        return link or PaymentLink.objects.create(
            order=order, amount=due, provider=settings.ORDERS_HOSTED_PAYMENT_PROVIDER
        )


payment_link_open.alters_data = True


def hosted_page_url(link: PaymentLink) -> str:
    """Where the customer pays (the provider's hosted page)."""
    if link.provider == "test_card":
        return reverse("pay:test", args=[link.token])
    raise InvalidOrder(_("Paying online is not set up."))


def payment_link_pay_card(*, link: PaymentLink, card_number: str) -> Payment:
    """The test gateway's hosted page: charge the card for the link's amount
    through the staff card service. The same link paid again (a second submit,
    the back button) records nothing more and returns the first payment; a
    refused card may be followed by another."""
    link.refresh_from_db()
    if link.status == PaymentLink.Status.PAID:
        return link.payment
    try:
        payment = payments.payment_take_card(
            order=link.order,
            amount=link.amount,
            card_number=card_number,
            actor=CUSTOMER,
            submission_key=f"link-{link.token}-{link.attempts}",
            authorised=True,
        )
    except payments.PaymentAlreadyRecorded as exc:
        return exc.record
    except payments.PaymentRefused:
        PaymentLink.objects.filter(pk=link.pk).update(attempts=F("attempts") + 1)
        raise
    PaymentLink.objects.filter(pk=link.pk, status=PaymentLink.Status.OPEN).update(
        status=PaymentLink.Status.PAID, payment=payment, paid_at=timezone.now()
    )
    return payment


payment_link_pay_card.alters_data = True

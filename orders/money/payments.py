"""Payments: the only code that takes, captures or voids a payment, or spends store credit.

Providers (``orders.money.providers``) are called outside database
transactions, never with the order locked, and retried a few times on
temporary failures while staff wait; what they answer is recorded inside one.
A void is only requested here and carried out after commit by the outbox.
Each step records a fact on the order. An allocated order whose captured
payments cover its total is marked paid and invoiced.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import ZERO, Order, OrderStatus
from orders.core.transitions import fire, lock_order
from orders.customer.models import Customer
from orders.exceptions import AlreadyRecorded, InvalidOrder, OrderError
from orders.money import facts, invoices
from orders.money.models import Payment, StoreCreditEntry
from orders.money.position import money_position
from orders.money.pricing import to_money
from orders.money.providers import (
    PaymentDeclined,
    PaymentTemporarilyUnavailable,
    get_provider,
)
from orders.permissions import require
from ordersite import limits
from ordersite.actors import staff_user
from ordersite.money import format_money
from ordersite.submissions import submission

# Waits before each attempt of a provider call made while someone waits.
RETRY_DELAYS = (0, 0.05, 0.2)


class PaymentRefused(OrderError):
    """The provider said no (declined card, refused refund)."""


class PaymentUnavailable(OrderError):
    """The provider did not answer after retries; nothing was taken. Try again later."""


class PaymentAlreadyRecorded(AlreadyRecorded):
    """The same payment page was sent again; ``record`` is what the first one started."""

    def __init__(self, payment: Payment):
        super().__init__(
            _(
                "This payment was already recorded (%(amount)s, %(status)s); nothing was taken twice."
            )
            % {
                "amount": format_money(payment.amount, payment.order.currency),
                "status": payment.get_status_display().lower(),
            },
            payment,
        )


def money_above_zero(amount, what: str) -> Decimal:
    """An amount of money to take or give back: above zero, at most an order's ceiling."""
    value = to_money(amount, what=what)
    if value <= 0:
        raise InvalidOrder(_("%(what)s must be above zero.") % {"what": what})
    if value > limits.max_order_total():
        raise InvalidOrder(
            _("%(what)s may be at most %(limit)s.")
            % {"what": what, "limit": f"{limits.max_order_total():,.2f}"}
        )
    return value


def _attempts(call: Callable[[int], object]):
    """Call a provider operation, retrying temporary failures; the last one is raised."""
    for attempt, delay in enumerate(RETRY_DELAYS, start=1):
        time.sleep(delay)
        try:
            return call(attempt)
        except PaymentTemporarilyUnavailable:
            if attempt == len(RETRY_DELAYS):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _lock_payment(payment: Payment) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("order")
        .get(pk=payment.pk)
    )


def _save(
    payment: Payment,
    step: Callable[[Payment], None],
    *,
    record: Callable[[Payment], object],
) -> Payment:
    """Apply one state step to the payment under its lock and record the fact with ``record``."""
    with transaction.atomic():
        fresh = _lock_payment(payment)
        step(fresh)
        fresh.save()
        record(fresh)
    return fresh


def _failed(payment: Payment, *, actor, message: str, code: str) -> None:
    """The provider said no, or did not answer: the payment fails, with the provider's words."""
    _save(
        payment,
        lambda p: p.fail(message=message),
        record=lambda p: facts.payment_failed(
            order=p.order, actor=actor, payment=p, code=code
        ),
    )


def _open_payment(
    *,
    order: Order,
    provider: str,
    method: str,
    amount: Decimal,
    actor,
    submission_key: str = "",
    authorised: bool = False,
    **fields,
) -> Payment:
    """Start a payment under the order's lock, once per page and never beyond what is owed.

    Payments still waiting for their capture count as on their way, so two tabs
    (or two people) cannot both pay the same balance: the second is refused.
    """
    require(actor, "record_payment", _("take payments"), authorised=authorised)
    key = submission(submission_key)
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        if key and (earlier := order.payments.filter(submission_key=key).first()):
            raise PaymentAlreadyRecorded(earlier)
        if order.is_finished:
            raise InvalidOrder(
                _("Order %(number)s is %(status)s; it takes no payments.")
                % {"number": order.number, "status": order.get_status_display().lower()}
            )
        position = money_position(order)
        if amount > position.payable:
            raise InvalidOrder(nothing_more_owed(position, amount))
        payment = Payment.objects.create(
            order=order,
            provider=provider,
            method=method,
            amount=amount,
            created_by=staff_user(actor),
            submission_key=key,
            **fields,
        )
        facts.payment_started(order=order, actor=actor, payment=payment)
    return payment


def nothing_more_owed(position, amount: Decimal) -> str:
    """Why a payment of ``amount`` is refused: what is owed, and what is on its way."""
    if position.payable == 0:
        if position.awaiting:
            return _(
                "Nothing more is owed: %(awaiting)s is already on its way (a payment waiting to be captured)."
            ) % {"awaiting": format_money(position.awaiting, position.currency)}
        return _("Nothing is owed on this order.")
    return _(
        "Only %(payable)s is still owed; a payment of %(amount)s would pay too much."
    ) % {
        "payable": format_money(position.payable, position.currency),
        "amount": format_money(amount, position.currency),
    }


def _authorize(payment: Payment, *, actor, card_number: str = "") -> Payment:
    provider = get_provider(payment.provider)
    try:
        result = _attempts(
            lambda n: provider.authorize(
                payment=payment, card_number=card_number, attempt=n
            )
        )
    except PaymentDeclined as exc:
        _failed(payment, actor=actor, message=str(exc), code="declined")
        raise PaymentRefused(str(exc)) from exc
    except PaymentTemporarilyUnavailable as exc:
        message = _("%(error)s Nothing was taken.") % {"error": exc}
        _failed(payment, actor=actor, message=message, code="unavailable")
        raise PaymentUnavailable(message) from exc

    def step(p: Payment) -> None:
        p.card_last4 = result.card_last4
        p.authorize(reference=result.reference)

    return _save(
        payment,
        step,
        record=lambda p: facts.payment_authorized(
            order=p.order, actor=actor, payment=p
        ),
    )


def payment_capture(
    *, payment: Payment, actor, amount: Decimal | None = None, authorised: bool = False
) -> Payment:
    """Take the money of an authorized payment (for manual methods: staff confirm it arrived)."""
    require(actor, "record_payment", _("capture payments"), authorised=authorised)
    amount = (
        payment.amount
        if amount is None
        else money_above_zero(amount, _("The amount to capture"))
    )
    if amount > payment.amount:
        raise InvalidOrder(_("You cannot capture more than was authorized."))
    if payment.status != Payment.Status.AUTHORIZED:
        raise InvalidOrder(
            _("Only an authorized payment can be captured; this one is %(status)s.")
            % {"status": payment.get_status_display().lower()}
        )
    provider = get_provider(payment.provider)
    try:
        reference = _attempts(
            lambda n: provider.capture(payment=payment, amount=amount, attempt=n)
        )
    except PaymentDeclined as exc:
        _failed(payment, actor=actor, message=str(exc), code="declined")
        raise PaymentRefused(str(exc)) from exc
    except PaymentTemporarilyUnavailable as exc:
        raise PaymentUnavailable(
            _("%(error)s The payment stays authorized; capture it again later.")
            % {"error": exc}
        ) from exc

    def step(p: Payment) -> None:
        if p.provider == "store_credit":
            _spend_store_credit(p, amount)
        p.capture(amount=amount, reference=reference)

    payment = _save(
        payment,
        step,
        record=lambda p: facts.payment_captured(order=p.order, actor=actor, payment=p),
    )
    advance_if_paid(order=payment.order, actor=actor)
    return payment


def payment_take_card(
    *,
    order: Order,
    amount: Decimal,
    card_number: str,
    actor,
    capture: bool = True,
    submission_key: str = "",
    authorised: bool = False,
) -> Payment:
    """Charge a card through the card gateway: authorize, then (by default) capture.

    ``authorised``: the customer pays for their own order (a payment link)."""
    amount = money_above_zero(amount, _("The payment amount"))
    payment = _open_payment(
        order=order,
        provider="test_card",
        method=Payment.Method.CARD,
        amount=amount,
        actor=actor,
        submission_key=submission_key,
        authorised=authorised,
    )
    payment = _authorize(payment, actor=actor, card_number=card_number)
    if not capture:
        return payment
    return payment_capture(payment=payment, actor=actor, authorised=authorised)


def payment_record_manual(
    *,
    order: Order,
    method: str,
    amount: Decimal,
    actor,
    reference: str = "",
    received: bool = True,
    submission_key: str = "",
) -> Payment:
    """Record a payment staff handle: bank transfer, cash on delivery, card by phone, invoice.

    ``received`` means the money is already here (captured at once); otherwise
    the payment waits, authorized, for staff to confirm it (an invoice gets
    its due date from ``ORDERS_INVOICE_TERMS_DAYS``).
    """
    manual = {
        Payment.Method.BANK_TRANSFER,
        Payment.Method.CASH_ON_DELIVERY,
        Payment.Method.CARD_BY_PHONE,
        Payment.Method.INVOICE,
    }
    if method not in manual:
        raise InvalidOrder(_("Unknown payment method %(method)r.") % {"method": method})
    amount = money_above_zero(amount, _("The payment amount"))
    due = None
    if method == Payment.Method.INVOICE:
        due = timezone.localdate() + timedelta(days=settings.ORDERS_INVOICE_TERMS_DAYS)
    payment = _open_payment(
        order=order,
        provider="manual",
        method=method,
        amount=amount,
        actor=actor,
        reference=reference.strip(),
        due_date=due,
        submission_key=submission_key,
    )
    payment = _authorize(payment, actor=actor)
    return payment_capture(payment=payment, actor=actor) if received else payment


def payment_record_from_store(
    *, order: Order, amount: Decimal, actor, reference: str = ""
) -> Payment:
    """Record money the online store already took for the order (captured at once);
    the integration delivering the order may do this (the calling intake service
    checked its key).

    The store holds the money: a refund of it is made in the store and recorded
    here with its reference, as staff do for a bank transfer.
    """
    amount = money_above_zero(amount, _("The payment amount"))
    payment = _open_payment(
        order=order,
        provider="manual",
        method=Payment.Method.ONLINE_STORE,
        amount=amount,
        actor=actor,
        reference=reference.strip()[:100],
        authorised=True,
    )
    payment = _authorize(payment, actor=actor)
    return payment_capture(payment=payment, actor=actor, authorised=True)


def payment_pay_with_store_credit(
    *, order: Order, amount: Decimal, actor, submission_key: str = ""
) -> Payment:
    """Pay (part of) an order from the customer's store credit."""
    amount = money_above_zero(amount, _("The payment amount"))
    if store_credit_balance(customer=order.customer) < amount:
        raise InvalidOrder(_("The customer's store credit does not cover that amount."))
    payment = _open_payment(
        order=order,
        provider="store_credit",
        method=Payment.Method.STORE_CREDIT,
        amount=amount,
        actor=actor,
        submission_key=submission_key,
    )
    payment = _authorize(payment, actor=actor)
    return payment_capture(payment=payment, actor=actor)


def payment_take(
    *,
    order: Order,
    method: str,
    amount: Decimal,
    actor,
    card_number: str = "",
    reference: str = "",
    received: bool = True,
    submission_key: str = "",
) -> Payment:
    """Take or record a payment by the method staff chose (the one entry for forms).

    With a ``submission_key`` the same page sent twice takes one payment
    (``PaymentAlreadyRecorded``); a payment beyond what is owed is refused.
    """
    if method == Payment.Method.CARD:
        return payment_take_card(
            order=order,
            amount=amount,
            card_number=card_number,
            actor=actor,
            submission_key=submission_key,
        )
    if method == Payment.Method.STORE_CREDIT:
        return payment_pay_with_store_credit(
            order=order, amount=amount, actor=actor, submission_key=submission_key
        )
    return payment_record_manual(
        order=order,
        method=method,
        amount=amount,
        actor=actor,
        reference=reference,
        received=received,
        submission_key=submission_key,
    )


def payment_void(*, payment: Payment, actor, reason: str) -> Payment:
    """Ask for a payment that will not be captured to be released (nothing was taken).

    The provider is called after commit, by the outbox (``payment_void_execute``),
    never while the order is locked; the payment stays as it is until then.
    """
    require(actor, "record_payment", _("void payments"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason to void the payment."))
    with transaction.atomic():
        payment = _lock_payment(payment)
        if payment.status not in (Payment.Status.PENDING, Payment.Status.AUTHORIZED):
            raise InvalidOrder(_("Only a payment not yet captured can be voided."))
        facts.payment_void_requested(
            order=payment.order, actor=actor, payment=payment, reason=reason
        )
    return payment


def payment_void_execute(*, payment_id: int) -> Payment:
    """Outbox: release the payment at its provider, then record it voided (once)."""
    payment = Payment.objects.select_related("order").get(pk=payment_id)
    if payment.status not in (Payment.Status.PENDING, Payment.Status.AUTHORIZED):
        return payment  # voided already, or captured meanwhile: nothing to release
    get_provider(payment.provider).void(payment=payment)
    with transaction.atomic():
        payment = _lock_payment(payment)
        if payment.status in (Payment.Status.PENDING, Payment.Status.AUTHORIZED):
            payment.void()
            payment.save()
            facts.payment_voided(order=payment.order, payment=payment)
    return payment


def advance_if_paid(*, order: Order, actor) -> bool:
    """An allocated order whose payments now cover its total moves to paid; says whether it did."""
    # Most orders reach their inventory check with nothing captured: one query
    # says so (read from the rows, never from a caller's possibly older copy).
    if (
        not Order.objects.filter(pk=order.pk)
        .filter(Q(total__lte=0) | Q(payments__amount_captured__gt=0))
        .exists()
    ):
        return False
    order = Order.objects.get(pk=order.pk)
    if order.status == OrderStatus.ALLOCATED and money_position(order).owed == 0:
        order_mark_paid(order=order, actor=None)
        return True
    return False


# ------------------------------------------------------------------------------
# Store credit
# ------------------------------------------------------------------------------
def store_credit_balance(*, customer: Customer) -> Decimal:
    total = customer.store_credit_entries.aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def store_credit_grant(
    *, customer: Customer, amount: Decimal, order: Order | None, note: str
) -> StoreCreditEntry:
    """Credit the customer ``amount`` to spend on a later order (a goodwill credit,
    e.g. compensation for a delay; refunds as credit go through ``payment_refund``)."""
    amount = money_above_zero(amount, _("The credit"))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        return StoreCreditEntry.objects.create(
            customer=customer, amount=amount, order=order, note=note[:200]
        )


def _spend_store_credit(payment: Payment, amount: Decimal) -> None:
    # Under the customer's row lock, so two payments cannot spend one balance.
    customer = Customer.objects.select_for_update().get(pk=payment.order.customer_id)
    if store_credit_balance(customer=customer) < amount:
        raise InvalidOrder(_("The customer's store credit does not cover that amount."))
    StoreCreditEntry.objects.create(
        customer=customer,
        amount=-amount,
        order=payment.order,
        payment=payment,
        note=_("Spent on an order"),
    )


def order_mark_paid(*, order: Order, actor) -> Order:
    """Captured payments cover the total: the order is paid and invoiced."""
    with transaction.atomic():
        order = lock_order(order)
        source = fire(order, "mark_paid", actor=actor)
        facts.order_paid(order=order, actor=actor, from_status=source)
        invoice = invoices.invoice_issue(order=order)
        facts.document_issued(order=order, document=invoice)
    return order

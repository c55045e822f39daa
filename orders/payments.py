"""Payments and refunds: the only code that changes a payment, a refund or store credit.

Providers (``orders.providers``) are called outside database transactions and
retried a few times on temporary failures; what they answer is recorded inside
one. Each step writes an event on the order. Refunds are idempotent per key,
split across the order's payments newest first, and executed after commit by
a Celery task that retries temporary failures with backoff; a refund that
cannot be made ends ``failed``, visible to staff, who can retry it.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import events, invoices
from orders.exceptions import InvalidOrder, OrderError, TransitionForbidden
from orders.models import (
    ZERO,
    Customer,
    Order,
    OrderStatus,
    Payment,
    Refund,
    StoreCreditEntry,
)
from orders.notifications import Kind, notify_on_commit
from orders.permissions import perm
from orders.pricing import cents
from orders.providers import (
    PaymentDeclined,
    PaymentTemporarilyUnavailable,
    get_provider,
)

# Waits before each attempt of a provider call made while someone waits.
RETRY_DELAYS = (0, 0.05, 0.2)
CLOSED = (OrderStatus.CANCELLED, OrderStatus.COMPLETED)


class PaymentRefused(OrderError):
    """The provider said no (declined card, refused refund)."""


class PaymentUnavailable(OrderError):
    """The provider did not answer after retries; nothing was taken. Try again later."""


def _require(actor, codename: str, what: str) -> None:
    if actor is not None and not actor.has_perm(perm(codename)):
        raise TransitionForbidden(_("You may not %(what)s.") % {"what": what})


def _money(amount, what: str) -> Decimal:
    from orders.services import to_money

    value = to_money(amount, what=what)
    if value <= 0:
        raise InvalidOrder(_("%(what)s must be above zero.") % {"what": what})
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


def _save(
    payment: Payment, step: Callable[[Payment], None], *, actor, message: str
) -> Payment:
    """Apply one state step to the payment under a lock and record it on the order."""
    with transaction.atomic():
        fresh = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=payment.pk)
        )
        step(fresh)
        fresh.save()
        events.payment_step(
            order=fresh.order, actor=actor, payment=fresh, message=message
        )
    return fresh


def _open_payment(
    *, order: Order, provider: str, method: str, amount: Decimal, actor, **fields
) -> Payment:
    _require(actor, "record_payment", _("take payments"))
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status in CLOSED:
            raise InvalidOrder(
                _("Order %(number)s is %(status)s; it takes no payments.")
                % {"number": order.number, "status": order.get_status_display().lower()}
            )
        payment = Payment.objects.create(
            order=order,
            provider=provider,
            method=method,
            amount=amount,
            created_by=actor,
            **fields,
        )
        events.payment_step(
            order=order,
            actor=actor,
            payment=payment,
            message=_("%(method)s payment of %(amount)s %(currency)s started.")
            % {
                "method": payment.get_method_display(),
                "amount": amount,
                "currency": order.currency,
            },
        )
    return payment


def _authorize(payment: Payment, *, actor, card_number: str = "") -> Payment:
    provider = get_provider(payment.provider)
    try:
        result = _attempts(
            lambda n: provider.authorize(
                payment=payment, card_number=card_number, attempt=n
            )
        )
    except PaymentDeclined as exc:
        message = str(exc)
        _save(payment, lambda p: p.fail(message=message), actor=actor, message=message)
        raise PaymentRefused(message) from exc
    except PaymentTemporarilyUnavailable as exc:
        message = _("%(error)s Nothing was taken.") % {"error": exc}
        _save(payment, lambda p: p.fail(message=message), actor=actor, message=message)
        raise PaymentUnavailable(message) from exc

    def step(p: Payment) -> None:
        p.card_last4 = result.card_last4
        p.authorize(reference=result.reference)

    return _save(payment, step, actor=actor, message=_("Payment authorized."))


def payment_capture(
    *, payment: Payment, actor, amount: Decimal | None = None
) -> Payment:
    """Take the money of an authorized payment (for manual methods: staff confirm it arrived)."""
    _require(actor, "record_payment", _("capture payments"))
    amount = (
        payment.amount if amount is None else _money(amount, _("The amount to capture"))
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
        message = str(exc)
        _save(payment, lambda p: p.fail(message=message), actor=actor, message=message)
        raise PaymentRefused(message) from exc
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
        actor=actor,
        message=_("%(amount)s captured.") % {"amount": amount},
    )
    advance_if_paid(order=payment.order, actor=actor)
    return payment


def payment_take_card(
    *, order: Order, amount: Decimal, card_number: str, actor, capture: bool = True
) -> Payment:
    """Charge a card through the card gateway: authorize, then (by default) capture."""
    amount = _money(amount, _("The payment amount"))
    payment = _open_payment(
        order=order,
        provider="test_card",
        method=Payment.Method.CARD,
        amount=amount,
        actor=actor,
    )
    payment = _authorize(payment, actor=actor, card_number=card_number)
    return payment_capture(payment=payment, actor=actor) if capture else payment


def payment_record_manual(
    *,
    order: Order,
    method: str,
    amount: Decimal,
    actor,
    reference: str = "",
    received: bool = True,
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
    amount = _money(amount, _("The payment amount"))
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
    )
    payment = _authorize(payment, actor=actor)
    return payment_capture(payment=payment, actor=actor) if received else payment


def payment_pay_with_store_credit(*, order: Order, amount: Decimal, actor) -> Payment:
    """Pay (part of) an order from the customer's store credit."""
    amount = _money(amount, _("The payment amount"))
    if store_credit_balance(customer=order.customer) < amount:
        raise InvalidOrder(_("The customer's store credit does not cover that amount."))
    payment = _open_payment(
        order=order,
        provider="store_credit",
        method=Payment.Method.STORE_CREDIT,
        amount=amount,
        actor=actor,
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
) -> Payment:
    """Take or record a payment by the method staff chose (the one entry for forms)."""
    if method == Payment.Method.CARD:
        return payment_take_card(
            order=order, amount=amount, card_number=card_number, actor=actor
        )
    if method == Payment.Method.STORE_CREDIT:
        return payment_pay_with_store_credit(order=order, amount=amount, actor=actor)
    return payment_record_manual(
        order=order,
        method=method,
        amount=amount,
        actor=actor,
        reference=reference,
        received=received,
    )


def payment_void(*, payment: Payment, actor, reason: str) -> Payment:
    """Release a payment that will not be captured (nothing was taken)."""
    _require(actor, "record_payment", _("void payments"))
    if not (reason or "").strip():
        raise InvalidOrder(_("Give a reason to void the payment."))
    if payment.status not in (Payment.Status.PENDING, Payment.Status.AUTHORIZED):
        raise InvalidOrder(_("Only a payment not yet captured can be voided."))
    get_provider(payment.provider).void(payment=payment)
    return _save(
        payment,
        lambda p: p.void(),
        actor=actor,
        message=_("Voided: %(r)s") % {"r": reason},
    )


def advance_if_paid(*, order: Order, actor) -> None:
    """An allocated order whose payments now cover its total moves to paid."""
    from orders.services import order_mark_paid

    order = Order.objects.get(pk=order.pk)
    if order.status == OrderStatus.ALLOCATED and order.balance_due() <= 0:
        order_mark_paid(order=order, actor=None)


# ------------------------------------------------------------------------------
# Store credit
# ------------------------------------------------------------------------------
def store_credit_balance(*, customer: Customer) -> Decimal:
    total = customer.store_credit_entries.aggregate(total=Sum("amount"))["total"]
    return total or ZERO


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


# ------------------------------------------------------------------------------
# Refunds
# ------------------------------------------------------------------------------
def _refundable(payment: Payment) -> Decimal:
    """Captured, less refunded, less refunds already on their way."""
    on_the_way = (
        payment.refunds.filter(
            status__in=[Refund.Status.PENDING, Refund.Status.PROCESSING]
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return payment.amount_captured - payment.amount_refunded - on_the_way


def refundable_total(*, order: Order) -> Decimal:
    """What could still be refunded across the order's payments."""
    return sum((_refundable(p) for p in order.payments.all()), ZERO)


def payment_refund(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    actor,
    outcome: str = Refund.Outcome.ORIGINAL_METHOD,
) -> list[Refund]:
    """Refund ``amount`` of what the order's payments captured, once per ``idempotency_key``.

    To the original payment method(s), newest payment first, never more than
    each captured; or, where the policy allows, as store credit. A second call
    with the same key returns the first call's refunds and refunds nothing more.
    """
    _require(actor, "refund_order", _("refund payments"))
    amount = _money(amount, _("The refund amount"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason for the refund."))
    if not idempotency_key:
        raise InvalidOrder(_("A refund needs an idempotency key."))
    if (
        outcome == Refund.Outcome.STORE_CREDIT
        and not settings.ORDERS_STORE_CREDIT_ALLOWED
    ):
        raise InvalidOrder(
            _("Store credit is not offered; refund to the payment method.")
        )
    with transaction.atomic():
        # The order row serializes refunds of one order: a concurrent second
        # submit waits here, then finds the first one's rows.
        order = Order.objects.select_for_update().get(pk=order.pk)
        existing = list(
            order.refunds.filter(idempotency_key=idempotency_key).order_by("pk")
        )
        if existing:
            if sum((r.amount for r in existing), ZERO) != amount:
                raise InvalidOrder(
                    _("That refund key was already used for a different amount.")
                )
            return existing
        payments = list(order.payments.select_for_update().order_by("-pk"))
        available = sum((_refundable(p) for p in payments), ZERO)
        if amount > available:
            raise InvalidOrder(
                _("Only %(available)s %(currency)s can still be refunded.")
                % {"available": available, "currency": order.currency}
            )
        refunds = []
        if outcome == Refund.Outcome.STORE_CREDIT:
            refunds.append(
                Refund.objects.create(
                    order=order,
                    outcome=outcome,
                    amount=amount,
                    reason=reason,
                    idempotency_key=idempotency_key,
                    created_by=actor,
                )
            )
        else:
            left = amount
            for payment in payments:
                share = min(left, _refundable(payment))
                if share <= 0:
                    continue
                refunds.append(
                    Refund.objects.create(
                        order=order,
                        payment=payment,
                        outcome=outcome,
                        amount=share,
                        reason=reason,
                        idempotency_key=idempotency_key,
                        created_by=actor,
                    )
                )
                left -= share
                if left == 0:
                    break
        for refund in refunds:
            events.refund_step(
                order=order,
                actor=actor,
                refund=refund,
                message=_(
                    "Refund of %(amount)s %(currency)s requested (%(outcome)s): %(reason)s"
                )
                % {
                    "amount": refund.amount,
                    "currency": order.currency,
                    "outcome": refund.get_outcome_display().lower(),
                    "reason": reason,
                },
                customer_visible=True,
            )
            _execute_on_commit(refund)
    return refunds


def _execute_on_commit(refund: Refund) -> None:
    from orders.tasks import execute_refund

    refund_id = refund.pk
    transaction.on_commit(lambda: execute_refund.delay(refund_id=refund_id))


def refund_execute(*, refund_id: int) -> Refund:
    """Carry out one refund; raises ``PaymentTemporarilyUnavailable`` for the task to retry.

    The row is claimed with a conditional update, so a refund delivered twice
    is paid once; the provider also gets a stable idempotency key.
    """
    claimed = Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(
        status=Refund.Status.PROCESSING, attempts=F("attempts") + 1
    )
    refund = Refund.objects.select_related("order__customer", "payment").get(
        pk=refund_id
    )
    if not claimed:
        return refund  # done already, or being done by someone else
    if refund.outcome == Refund.Outcome.ORIGINAL_METHOD:
        provider = get_provider(refund.payment.provider)
        try:
            reference = provider.refund(
                payment=refund.payment,
                amount=refund.amount,
                idempotency_key=f"{refund.idempotency_key}:{refund.pk}",
                attempt=refund.attempts,
            )
        except PaymentTemporarilyUnavailable as exc:
            Refund.objects.filter(pk=refund.pk).update(
                status=Refund.Status.PENDING, last_error=str(exc)[:255]
            )
            raise
        except PaymentDeclined as exc:
            return refund_give_up(refund_id=refund.pk, error=str(exc))
    else:
        reference = f"store-credit-{refund.pk}"
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("order", "payment")
            .get(pk=refund.pk)
        )
        if refund.payment_id:
            payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
            payment.record_refund(amount=refund.amount)
            payment.save()
        else:
            StoreCreditEntry.objects.create(
                customer_id=refund.order.customer_id,
                amount=refund.amount,
                order=refund.order,
                refund=refund,
                note=refund.reason[:255],
            )
        refund.status, refund.provider_reference = Refund.Status.SUCCEEDED, reference
        refund.last_error, refund.completed_at = "", timezone.now()
        refund.save()
        events.refund_step(
            order=refund.order,
            actor=None,
            refund=refund,
            message=_("%(amount)s %(currency)s refunded (%(outcome)s).")
            % {
                "amount": refund.amount,
                "currency": refund.order.currency,
                "outcome": refund.get_outcome_display().lower(),
            },
            customer_visible=True,
        )
        note = invoices.credit_note_issue(refund=refund)
        events.document_issued(order=refund.order, document=note)
        notify_on_commit(
            order=refund.order,
            kind=Kind.REFUNDED,
            extra={
                "amount": refund.amount,
                "outcome": refund.get_outcome_display().lower(),
            },
        )
    return refund


def refund_give_up(*, refund_id: int, error: str) -> Refund:
    """Mark a refund failed, with why, for staff to see and retry."""
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=refund_id)
        )
        if refund.status == Refund.Status.SUCCEEDED:
            return refund
        refund.status, refund.last_error = Refund.Status.FAILED, error[:255]
        refund.save(update_fields=["status", "last_error"])
        events.refund_step(
            order=refund.order,
            actor=None,
            refund=refund,
            message=_(
                "Refund of %(amount)s failed: %(error)s. Retry it from the order."
            )
            % {"amount": refund.amount, "error": error},
        )
    return refund


def refunds_redispatch(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Send again refunds that a lost message or a crashed worker left behind.

    Pending ones never picked up, and processing ones whose worker died between
    claiming and finishing; the provider's idempotency key makes the second try
    safe. Returns how many were sent again.
    """
    cutoff = timezone.now() - older_than
    stuck = Refund.objects.filter(
        status__in=[Refund.Status.PENDING, Refund.Status.PROCESSING],
        created_at__lt=cutoff,
    )
    ids = list(stuck.values_list("pk", flat=True))
    Refund.objects.filter(pk__in=ids, status=Refund.Status.PROCESSING).update(
        status=Refund.Status.PENDING
    )
    from orders.tasks import execute_refund

    for refund_id in ids:
        execute_refund.delay(refund_id=refund_id)
    return len(ids)


def refund_retry(*, refund: Refund, actor) -> Refund:
    """Try a failed refund again (staff action)."""
    _require(actor, "refund_order", _("refund payments"))
    with transaction.atomic():
        updated = Refund.objects.filter(
            pk=refund.pk, status=Refund.Status.FAILED
        ).update(status=Refund.Status.PENDING)
        if not updated:
            raise InvalidOrder(_("Only a failed refund can be retried."))
        refund.refresh_from_db()
        events.refund_step(
            order=refund.order, actor=actor, refund=refund, message=_("Refund retried.")
        )
        _execute_on_commit(refund)
    return refund


# ------------------------------------------------------------------------------
# Over- and under-payment
# ------------------------------------------------------------------------------
def order_refund_excess(*, order: Order, actor) -> list[Refund]:
    """Refund what payments hold beyond the order total."""
    excess = -order.balance_due()
    if excess <= 0:
        raise InvalidOrder(_("Nothing was paid beyond the total."))
    held = order.amount_captured()
    return payment_refund(
        order=order,
        amount=excess,
        reason=_("Paid more than the order total"),
        idempotency_key=f"excess:{order.pk}:{held}:{order.total}",
        actor=actor,
    )


def order_request_balance(*, order: Order, actor) -> Decimal:
    """Ask the customer for what is still owed; returns the amount asked for."""
    _require(actor, "record_payment", _("request payments"))
    due = order.balance_due()
    if due <= 0:
        raise InvalidOrder(_("Nothing is owed on this order."))
    with transaction.atomic():
        events.payment_balance_requested(order=order, actor=actor, amount=cents(due))
        notify_on_commit(
            order=order, kind=Kind.BALANCE_DUE, extra={"amount": cents(due)}
        )
    return due

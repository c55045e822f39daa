"""Refunds: idempotent per key, split across the order's payments newest first.

A refund is written in the transaction that asks for it and carried out after
commit by a Celery task that retries temporary failures with backoff; a refund
that cannot be made ends ``failed``, visible to staff, who can retry it.
Over- and under-payment are settled here too.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import ZERO, Order
from orders.events import record as events
from orders.exceptions import InvalidOrder
from orders.money import invoices
from orders.money.models import Payment, Refund, StoreCreditEntry
from orders.money.payments import money_above_zero, require_permission
from orders.money.pricing import cents
from orders.money.providers import (
    PaymentDeclined,
    PaymentTemporarilyUnavailable,
    get_provider,
)
from orders.notifications.emails import Kind, notify_on_commit


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
    require_permission(actor, "refund_order", _("refund payments"))
    amount = money_above_zero(amount, _("The refund amount"))
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
    require_permission(actor, "refund_order", _("refund payments"))
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
    require_permission(actor, "record_payment", _("request payments"))
    due = order.balance_due()
    if due <= 0:
        raise InvalidOrder(_("Nothing is owed on this order."))
    with transaction.atomic():
        events.payment_balance_requested(order=order, actor=actor, amount=cents(due))
        notify_on_commit(
            order=order, kind=Kind.BALANCE_DUE, extra={"amount": cents(due)}
        )
    return due

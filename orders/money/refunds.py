"""Refunds: idempotent per key, split across the order's payments newest first.

A refund is written in the transaction that asks for it (the fact
``refund_requested``); the outbox carries it out after commit
(``refund_execute``), retrying temporary failures with backoff; a refund the
provider refuses, or that keeps failing, ends ``failed``, visible to staff, who
can retry it. Over- and under-payment are settled here too.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import ZERO, Order
from orders.core.transitions import lock_order
from orders.exceptions import AlreadyRecorded, InvalidOrder
from orders.money import facts, invoices
from orders.money.models import Payment, Refund, StoreCreditEntry
from orders.money.payments import money_above_zero
from orders.money.position import money_position
from orders.money.providers import PaymentDeclined, get_provider
from orders.permissions import require
from ordersite.actors import staff_user
from ordersite.money import format_money
from ordersite.outbox import GiveUp
from ordersite.submissions import submission

KEY_LENGTH = Refund._meta.get_field("idempotency_key").max_length


def _refundable(payment: Payment) -> Decimal:
    """Captured, less refunded, less refunds already on their way."""
    on_the_way = (
        payment.refunds.filter(
            status__in=[Refund.Status.PENDING, Refund.Status.PROCESSING]
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return payment.amount_captured - payment.amount_refunded - on_the_way


def payment_refund(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    actor,
    outcome: str = Refund.Outcome.ORIGINAL_METHOD,
    carried: bool = False,
) -> list[Refund]:
    """Refund ``amount`` of what the order's payments captured, once per ``idempotency_key``.

    To the original payment method(s), newest payment first, never more than
    each captured; or, where the policy allows, as store credit. A second call
    with the same key returns the first call's refunds and refunds nothing more.
    ``carried`` is credit the shop moves on to another order of the customer
    (an exchange's replacement): store credit even where it is not offered.
    """
    require(actor, "refund_order", _("refund payments"))
    amount = money_above_zero(amount, _("The refund amount"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason for the refund."))
    if not idempotency_key or len(idempotency_key) > KEY_LENGTH:
        raise InvalidOrder(
            _("This refund page is out of date; open the refund page again.")
        )
    if (
        outcome == Refund.Outcome.STORE_CREDIT
        and not settings.ORDERS_STORE_CREDIT_ALLOWED
        and not carried
    ):
        raise InvalidOrder(
            _("Store credit is not offered; refund to the payment method.")
        )
    with transaction.atomic():
        # The order row serializes refunds of one order: a concurrent second
        # submit waits here, then finds the first one's rows. What may be
        # refunded is read under the lock, whatever the order's state.
        order = lock_order(order, same_state=False)
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
        # Store credit given back draws on no single payment, so the order's
        # position (not the payments one by one) says what may still go back.
        available = money_position(order).refundable
        if amount > available:
            raise InvalidOrder(
                _("Only %(available)s can still be refunded.")
                % {"available": format_money(available, order.currency)}
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
                    created_by=staff_user(actor),
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
                        created_by=staff_user(actor),
                    )
                )
                left -= share
                if left == 0:
                    break
        for refund in refunds:
            facts.refund_requested(order=order, actor=actor, refund=refund)
    return refunds


def refund_execute(*, refund_id: int, attempt: int = 1) -> Refund:
    """Outbox: carry out one refund at the provider, then record it (once).

    The outbox's claim and lease keep two workers from running one refund at
    once; the provider gets a stable idempotency key, so a retry after a crash
    never pays twice, and the result is recorded under the refund's row lock
    only if no one recorded it before. ``PaymentTemporarilyUnavailable`` is
    left to the outbox to retry; a refusal gives up at once.
    """
    moved = Refund.objects.filter(
        pk=refund_id, status__in=[Refund.Status.PENDING, Refund.Status.PROCESSING]
    ).update(status=Refund.Status.PROCESSING)
    refund = Refund.objects.select_related("order__customer", "payment").get(
        pk=refund_id
    )
    if not moved:
        return refund  # done already, or failed and not retried
    if refund.outcome == Refund.Outcome.ORIGINAL_METHOD:
        provider = get_provider(refund.payment.provider)
        try:
            reference = provider.refund(
                payment=refund.payment,
                amount=refund.amount,
                idempotency_key=f"{refund.idempotency_key}:{refund.pk}",
                attempt=attempt,
            )
        except PaymentDeclined as exc:
            raise GiveUp(str(exc)) from exc
    else:
        reference = f"store-credit-{refund.pk}"
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("order", "payment")
            .get(pk=refund.pk)
        )
        if refund.status == Refund.Status.SUCCEEDED:
            return refund
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
        facts.refunded(order=refund.order, refund=refund)
        note = invoices.credit_note_issue(refund=refund)
        facts.document_issued(order=refund.order, document=note)
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
        facts.refund_failed(order=refund.order, refund=refund)
    return refund


def refund_retry(*, refund: Refund, actor) -> Refund:
    """Try a failed refund again (staff action); the outbox carries it out anew."""
    require(actor, "refund_order", _("refund payments"))
    with transaction.atomic():
        updated = Refund.objects.filter(
            pk=refund.pk, status=Refund.Status.FAILED
        ).update(status=Refund.Status.PENDING, last_error="")
        if not updated:
            raise InvalidOrder(_("Only a failed refund can be retried."))
        refund.refresh_from_db()
        facts.refund_retried(order=refund.order, actor=actor, refund=refund)
    return refund


# ------------------------------------------------------------------------------
# Over- and under-payment
# ------------------------------------------------------------------------------
def order_refund_excess(*, order: Order, actor) -> list[Refund]:
    """Refund what payments hold beyond what the order charges (all of it once cancelled)."""
    position = money_position(order)
    if position.refund_due <= 0:
        raise InvalidOrder(_("Nothing was paid beyond the total."))
    return payment_refund(
        order=order,
        amount=position.refund_due,
        reason=_("Paid more than the order total")
        if position.charged
        else _("Order cancelled"),
        # Once per position: a second click finds the first refund's rows.
        idempotency_key=f"excess:{order.pk}:{position.held}:{position.charged}",
        actor=actor,
    )


def order_request_balance(*, order: Order, actor, submission_key: str = "") -> Decimal:
    """Ask the customer for what is still owed; returns the amount asked for.

    With a ``submission_key`` (drawn with the order page) a double click asks
    once; a reminder later is a new page and a new key.
    """
    require(actor, "record_payment", _("request payments"))
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        position = money_position(order)
        if position.owed <= 0:
            raise InvalidOrder(_("Nothing is owed on this order."))
        key = submission(submission_key)
        asked = key and facts.balance_request_with_key(order=order, key=key)
        if asked:
            raise AlreadyRecorded(
                _(
                    "The customer was already asked for %(amount)s; nothing was sent twice."
                )
                % {"amount": format_money(position.owed, order.currency)},
                asked,
            )
        facts.balance_requested(
            order=order, actor=actor, amount=position.owed, submission_key=key
        )
    return position.owed

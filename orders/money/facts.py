"""Money's facts: discounts, payments, the balance, paid, invoices, refunds; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.core.models import Order
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import money, moved, record
from orders.events.words import (
    Wording,
    amount,
    data_of,
    fixed,
    label,
    say_all,
    text_of,
)
from orders.money.models import Payment, Refund
from orders.money.pricing_models import DiscountKind


def discount_code_applied(*, order: Order, actor, discount) -> OrderEvent:
    return record(
        order=order,
        type=T.DISCOUNT_CODE_APPLIED,
        actor=actor,
        data={
            "discount_id": discount.pk,
            "code": discount.code.code,
            "amount": money(discount.amount),
        },
    )


def discount_granted(*, order: Order, actor, discount) -> OrderEvent:
    """A staff discount, with the business reason given (it outlives a removed discount)."""
    return record(
        order=order,
        type=T.DISCOUNT_GRANTED,
        actor=actor,
        data={
            "discount_id": discount.pk,
            "kind": discount.kind,
            "value": money(discount.value),
            "amount": money(discount.amount),
            "reason": discount.reason,
        },
    )


def discount_removed(*, order: Order, actor, discount) -> OrderEvent:
    return record(
        order=order,
        type=T.DISCOUNT_REMOVED,
        actor=actor,
        data={
            "discount_id": discount.pk,
            "code": discount.code.code if discount.code_id else "",
            "kind": discount.kind,
            "value": money(discount.value),
        },
    )


def _payment(payment, **extra) -> dict:
    return {
        "payment_id": payment.pk,
        "method": payment.method,
        "provider": payment.provider,
        "amount": money(payment.amount),
        **extra,
    }


def payment_started(*, order: Order, actor, payment) -> OrderEvent:
    return record(
        order=order, type=T.PAYMENT_STARTED, actor=actor, data=_payment(payment)
    )


def payment_authorized(*, order: Order, actor, payment) -> OrderEvent:
    return record(
        order=order,
        type=T.PAYMENT_AUTHORIZED,
        actor=actor,
        data=_payment(payment, card_last4=payment.card_last4),
    )


def payment_captured(*, order: Order, actor, payment) -> OrderEvent:
    return record(
        order=order,
        type=T.PAYMENT_CAPTURED,
        actor=actor,
        data=_payment(payment, captured=money(payment.amount_captured)),
    )


def payment_failed(*, order: Order, actor, payment, code: str) -> OrderEvent:
    """``code``: ``declined`` or ``unavailable``; the provider's words stay on the payment."""
    return record(
        order=order,
        type=T.PAYMENT_FAILED,
        actor=actor,
        data=_payment(payment, code=code),
    )


def payment_void_requested(*, order: Order, actor, payment, reason: str) -> OrderEvent:
    return record(
        order=order,
        type=T.PAYMENT_VOID_REQUESTED,
        actor=actor,
        data=_payment(payment, reason=reason),
    )


def payment_voided(*, order: Order, payment) -> OrderEvent:
    return record(order=order, type=T.PAYMENT_VOIDED, data=_payment(payment))


def balance_requested(
    *, order: Order, actor, amount: Decimal, submission_key: str = ""
) -> OrderEvent:
    data = {"amount": money(amount), "currency": order.currency}
    if submission_key:
        data["submission"] = submission_key
    return record(order=order, type=T.BALANCE_REQUESTED, actor=actor, data=data)


def balance_request_with_key(*, order: Order, key: str) -> OrderEvent | None:
    """The request for the balance made from the page with this key, if any."""
    return order.events.filter(type=T.BALANCE_REQUESTED, data__submission=key).first()


def order_paid(*, order: Order, actor, from_status: str) -> OrderEvent:
    return moved(
        order=order,
        type=T.PAID,
        actor=actor,
        from_status=from_status,
        total=money(order.total),
    )


def document_issued(*, order: Order, document) -> OrderEvent:
    """An invoice or a credit note was issued (numbered, frozen)."""
    return record(
        order=order,
        type=T.CREDIT_NOTE_ISSUED
        if document.kind == "credit_note"
        else T.INVOICE_ISSUED,
        data={
            "invoice_id": document.pk,
            "number": document.number,
            "total": money(document.total),
            "currency": document.currency,
            "refund_id": document.refund_id,
        },
    )


def _refund(refund, **extra) -> dict:
    return {
        "refund_id": refund.pk,
        "payment_id": refund.payment_id,
        "amount": money(refund.amount),
        "outcome": refund.outcome,
        **extra,
    }


def refund_requested(*, order: Order, actor, refund) -> OrderEvent:
    """A refund was asked for; its reason stays on the refund row."""
    return record(
        order=order, type=T.REFUND_REQUESTED, actor=actor, data=_refund(refund)
    )


def refunded(*, order: Order, refund) -> OrderEvent:
    return record(order=order, type=T.REFUNDED, data=_refund(refund))


def refund_failed(*, order: Order, refund) -> OrderEvent:
    """The provider refused the refund, or it kept failing; why is on the refund row."""
    return record(order=order, type=T.REFUND_FAILED, data=_refund(refund))


def refund_retried(*, order: Order, actor, refund) -> OrderEvent:
    return record(order=order, type=T.REFUND_RETRIED, actor=actor, data=_refund(refund))


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _method(e) -> str:
    return label(Payment.Method, data_of(e).get("method"))


def _outcome(e) -> str:
    return label(Refund.Outcome, data_of(e).get("outcome")).lower()


def _code_applied(e, r):
    return _("Discount code %(code)s applied: −%(amount)s.") % {
        "code": data_of(e).get("code"),
        "amount": amount(e),
    }


def _granted(e, r):
    text = _("Discount of %(amount)s given") % {"amount": amount(e)}
    if data_of(e).get("kind") == DiscountKind.PERCENT:
        text += f" ({Decimal(data_of(e)['value']):g} %)"
    reason = data_of(e).get("reason") or text_of(
        r.get("discount", data_of(e).get("discount_id")), "reason"
    )
    return text + (f": {reason}" if reason else ".")


def _discount_removed(e, r):
    what = data_of(e).get("code") or _("staff discount of %(value)s") % {
        "value": data_of(e).get("value")
    }
    return _("Discount removed: %(what)s.") % {"what": what}


def _payment_started(e, r):
    return _("%(method)s payment of %(amount)s started.") % {
        "method": _method(e),
        "amount": amount(e),
    }


def _payment_authorized(e, r):
    text = _("%(method)s payment of %(amount)s authorized") % {
        "method": _method(e),
        "amount": amount(e),
    }
    if last4 := data_of(e).get("card_last4"):
        text += " " + _("(card ending %(last4)s)") % {"last4": last4}
    return text + "."


def _payment_captured(e, r):
    return _("%(amount)s captured (%(method)s).") % {
        "amount": amount(e, "captured"),
        "method": _method(e).lower(),
    }


def _payment_failed(e, r):
    why = text_of(r.get("payment", data_of(e).get("payment_id")), "failure_message")
    if not why:
        why = (
            _("the provider did not answer")
            if data_of(e).get("code") == "unavailable"
            else _("declined")
        )
    return _("%(method)s payment of %(amount)s failed: %(why)s") % {
        "method": _method(e),
        "amount": amount(e),
        "why": why,
    }


def _void_requested(e, r):
    return _("Void of the %(method)s payment of %(amount)s requested: %(reason)s") % {
        "method": _method(e).lower(),
        "amount": amount(e),
        "reason": data_of(e).get("reason", ""),
    }


def _voided(e, r):
    return _("%(method)s payment of %(amount)s voided; nothing was taken.") % {
        "method": _method(e),
        "amount": amount(e),
    }


def _balance_staff(e, r):
    return _("Asked the customer for the remaining %(amount)s.") % {"amount": amount(e)}


def _balance_customer(e, r):
    return _("We asked you for the remaining %(amount)s.") % {"amount": amount(e)}


def _document(e, r):
    what = _("Credit note") if e.type == T.CREDIT_NOTE_ISSUED else _("Invoice")
    return _("%(what)s %(number)s issued over %(total)s.") % {
        "what": what,
        "number": data_of(e).get("number"),
        "total": amount(e, "total"),
    }


def _refund_requested_staff(e, r):
    text = _("Refund of %(amount)s requested (%(outcome)s)") % {
        "amount": amount(e),
        "outcome": _outcome(e),
    }
    reason = text_of(r.get("refund", data_of(e).get("refund_id")), "reason")
    return text + (f": {reason}" if reason else ".")


def _refund_requested_customer(e, r):
    return _("A refund of %(amount)s is on its way (%(outcome)s).") % {
        "amount": amount(e),
        "outcome": _outcome(e),
    }


def _refunded(e, r):
    return _("%(amount)s refunded (%(outcome)s).") % {
        "amount": amount(e),
        "outcome": _outcome(e),
    }


def _refund_failed(e, r):
    why = text_of(r.get("refund", data_of(e).get("refund_id")), "last_error")
    return _("Refund of %(amount)s failed: %(why)s. Retry it from the order.") % {
        "amount": amount(e),
        "why": why or _("unknown error"),
    }


def _refund_retried(e, r):
    return _("Refund of %(amount)s retried.") % {"amount": amount(e)}


say_all(
    {
        T.DISCOUNT_CODE_APPLIED: Wording(_code_applied),
        T.DISCOUNT_GRANTED: Wording(_granted),
        T.DISCOUNT_REMOVED: Wording(_discount_removed),
        T.PAYMENT_STARTED: Wording(_payment_started),
        T.PAYMENT_AUTHORIZED: Wording(_payment_authorized),
        T.PAYMENT_CAPTURED: Wording(_payment_captured),
        T.PAYMENT_FAILED: Wording(_payment_failed),
        T.PAYMENT_VOID_REQUESTED: Wording(_void_requested),
        T.PAYMENT_VOIDED: Wording(_voided),
        T.BALANCE_REQUESTED: Wording(_balance_staff, _balance_customer),
        T.PAID: Wording(
            fixed(_l("Paid: payments cover the total.")), fixed(_l("Payment received."))
        ),
        T.INVOICE_ISSUED: Wording(_document, _document),
        T.CREDIT_NOTE_ISSUED: Wording(_document, _document),
        T.REFUND_REQUESTED: Wording(
            _refund_requested_staff, _refund_requested_customer
        ),
        T.REFUNDED: Wording(_refunded, _refunded),
        T.REFUND_FAILED: Wording(_refund_failed),
        T.REFUND_RETRIED: Wording(_refund_retried),
    }
)

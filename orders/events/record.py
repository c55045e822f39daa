"""One function per fact: the only code that writes ``OrderEvent`` rows.

Each function takes the rows involved, writes the fact with its structured
data (ids, amounts as strings of cents, codes, quantities; never prose, never
personal data) and publishes it on the seam (``ordersite.facts``) under
``orders.<type>``, so subscribers (emails, refunds, staff alerts, and next
webhooks and metrics) react inside the same transaction.

``actor`` is a staff user, ``None`` for the system, or an ``Actor`` (the
customer, an integration).
"""

from decimal import Decimal

from orders.core.models import Order
from orders.events.models import EventType, OrderEvent
from orders.events.timeline import CUSTOMER_VISIBLE
from ordersite import facts
from ordersite.actors import Actor

T = EventType


def _money(amount) -> str:
    return f"{Decimal(amount):.2f}"


def _record(
    *,
    order: Order,
    type: str,
    actor=None,
    data: dict | None = None,
    from_status: str = "",
    to_status: str = "",
) -> OrderEvent:
    who = Actor.of(actor)
    event = OrderEvent.objects.create(
        order=order,
        type=type,
        actor_kind=who.kind,
        actor=who.staff_user,
        integration=who.integration,
        data=data or {},
        customer_visible=type in CUSTOMER_VISIBLE,
        from_status=from_status,
        to_status=to_status,
    )
    facts.publish(event.topic, event)
    return event


def _moved(*, order: Order, type: str, actor, from_status: str, **data) -> OrderEvent:
    """A fact that is also a lifecycle transition: from ``from_status`` to the order's status."""
    return _record(
        order=order,
        type=type,
        actor=actor,
        data=data,
        from_status=from_status,
        to_status=order.status,
    )


# ------------------------------------------------------------------------------
# The order itself
# ------------------------------------------------------------------------------
def order_placed(*, order: Order, actor) -> OrderEvent:
    return _record(
        order=order,
        type=T.PLACED,
        actor=actor,
        data={
            "channel": order.channel,
            "total": _money(order.total),
            "currency": order.currency,
            "lines": order.lines.count(),
        },
        to_status=order.status,
    )


def order_corrected(
    *,
    order: Order,
    actor,
    reason: str,
    quantities: list[dict],
    added: list[dict],
    removed: list[dict],
    address_changed: bool,
    country: list[str] | None,
    check_reset: bool,
) -> OrderEvent:
    """Lines or address corrected before verification; what changed, never the address itself.

    ``quantities``: ``{"line_id", "sku", "old", "new"}``; ``added`` and
    ``removed``: ``{"line_id", "sku", "quantity"}``; ``country``: ``[old, new]``.
    """
    return _record(
        order=order,
        type=T.CORRECTED,
        actor=actor,
        data={
            "reason": reason,
            "quantities": quantities,
            "added": added,
            "removed": removed,
            "address_changed": address_changed,
            "country": country,
            "check_reset": check_reset,
        },
    )


def note_added(*, order: Order, actor, note) -> OrderEvent:
    return _record(
        order=order, type=T.NOTE_ADDED, actor=actor, data={"note_id": note.pk}
    )


def order_held(*, order: Order, actor, from_status: str, reason: str) -> OrderEvent:
    return _moved(
        order=order, type=T.HELD, actor=actor, from_status=from_status, reason=reason
    )


def hold_released(*, order: Order, actor, from_status: str) -> OrderEvent:
    return _moved(
        order=order, type=T.HOLD_RELEASED, actor=actor, from_status=from_status
    )


def order_cancelled(
    *, order: Order, actor, from_status: str, reason: str, released: list[dict]
) -> OrderEvent:
    """Cancelled; ``released`` lists the allocations given back to stock."""
    return _moved(
        order=order,
        type=T.CANCELLED,
        actor=actor,
        from_status=from_status,
        reason=reason,
        released=released,
    )


# ------------------------------------------------------------------------------
# Verification
# ------------------------------------------------------------------------------
def first_check_recorded(
    *, order: Order, actor, items: int, price_differences: list[dict]
) -> OrderEvent:
    """The first check: how many items were ticked, and the price differences accepted.

    ``price_differences``: ``{"line_id", "sku", "price", "rules_price", "source"}``.
    """
    return _record(
        order=order,
        type=T.FIRST_CHECK_RECORDED,
        actor=actor,
        data={"items": items, "price_differences": price_differences},
    )


def order_verified(
    *, order: Order, actor, from_status: str, second_check_waived: bool
) -> OrderEvent:
    return _moved(
        order=order,
        type=T.VERIFIED,
        actor=actor,
        from_status=from_status,
        second_check_waived=second_check_waived,
        first_checker_id=order.first_checked_by_id,
    )


def sent_back(*, order: Order, actor, finding) -> OrderEvent:
    """The second checker found a mistake; ``finding`` is the ``VerificationIssue`` row."""
    return _record(
        order=order,
        type=T.SENT_BACK,
        actor=actor,
        data={
            "finding_id": finding.pk,
            "reason": finding.reason,
            "first_checker_id": finding.first_checker_id,
        },
    )


# ------------------------------------------------------------------------------
# Stock
# ------------------------------------------------------------------------------
def order_allocated(
    *, order: Order, actor, from_status: str, allocations: list[dict]
) -> OrderEvent:
    """Every line has stock; ``allocations``: ``{"line_id", "sku", "stock_item_id", "warehouse", "quantity"}``."""
    return _moved(
        order=order,
        type=T.ALLOCATED,
        actor=actor,
        from_status=from_status,
        allocations=allocations,
    )


def order_backordered(
    *, order: Order, actor, from_status: str, missing: list[dict]
) -> OrderEvent:
    """Some lines are short; ``missing``: ``{"line_id", "sku", "missing"}``."""
    return _moved(
        order=order,
        type=T.BACKORDERED,
        actor=actor,
        from_status=from_status,
        missing=missing,
    )


def split_off(*, order: Order, actor, child: Order, moved: list[dict]) -> OrderEvent:
    """Missing units moved to ``child``; ``moved``: ``{"line_id", "sku", "quantity"}``."""
    return _record(
        order=order,
        type=T.SPLIT_OFF,
        actor=actor,
        data={"child_id": child.pk, "child": child.number, "moved": moved},
    )


def split_from(*, order: Order, actor, parent: Order) -> OrderEvent:
    return _record(
        order=order,
        type=T.SPLIT_FROM,
        actor=actor,
        data={"parent_id": parent.pk, "parent": parent.number},
        to_status=order.status,
    )


# ------------------------------------------------------------------------------
# Money
# ------------------------------------------------------------------------------
def discount_code_applied(*, order: Order, actor, discount) -> OrderEvent:
    return _record(
        order=order,
        type=T.DISCOUNT_CODE_APPLIED,
        actor=actor,
        data={
            "discount_id": discount.pk,
            "code": discount.code.code,
            "amount": _money(discount.amount),
        },
    )


def discount_granted(*, order: Order, actor, discount) -> OrderEvent:
    """A staff discount, with the business reason given (it outlives a removed discount)."""
    return _record(
        order=order,
        type=T.DISCOUNT_GRANTED,
        actor=actor,
        data={
            "discount_id": discount.pk,
            "kind": discount.kind,
            "value": _money(discount.value),
            "amount": _money(discount.amount),
            "reason": discount.reason,
        },
    )


def discount_removed(*, order: Order, actor, discount) -> OrderEvent:
    return _record(
        order=order,
        type=T.DISCOUNT_REMOVED,
        actor=actor,
        data={
            "discount_id": discount.pk,
            "code": discount.code.code if discount.code_id else "",
            "kind": discount.kind,
            "value": _money(discount.value),
        },
    )


def _payment(payment, **extra) -> dict:
    return {
        "payment_id": payment.pk,
        "method": payment.method,
        "provider": payment.provider,
        "amount": _money(payment.amount),
        **extra,
    }


def payment_started(*, order: Order, actor, payment) -> OrderEvent:
    return _record(
        order=order, type=T.PAYMENT_STARTED, actor=actor, data=_payment(payment)
    )


def payment_authorized(*, order: Order, actor, payment) -> OrderEvent:
    return _record(
        order=order,
        type=T.PAYMENT_AUTHORIZED,
        actor=actor,
        data=_payment(payment, card_last4=payment.card_last4),
    )


def payment_captured(*, order: Order, actor, payment) -> OrderEvent:
    return _record(
        order=order,
        type=T.PAYMENT_CAPTURED,
        actor=actor,
        data=_payment(payment, captured=_money(payment.amount_captured)),
    )


def payment_failed(*, order: Order, actor, payment, code: str) -> OrderEvent:
    """``code``: ``declined`` or ``unavailable``; the provider's words stay on the payment."""
    return _record(
        order=order,
        type=T.PAYMENT_FAILED,
        actor=actor,
        data=_payment(payment, code=code),
    )


def payment_void_requested(*, order: Order, actor, payment, reason: str) -> OrderEvent:
    return _record(
        order=order,
        type=T.PAYMENT_VOID_REQUESTED,
        actor=actor,
        data=_payment(payment, reason=reason),
    )


def payment_voided(*, order: Order, payment) -> OrderEvent:
    return _record(order=order, type=T.PAYMENT_VOIDED, data=_payment(payment))


def balance_requested(*, order: Order, actor, amount: Decimal) -> OrderEvent:
    return _record(
        order=order,
        type=T.BALANCE_REQUESTED,
        actor=actor,
        data={"amount": _money(amount), "currency": order.currency},
    )


def order_paid(*, order: Order, actor, from_status: str) -> OrderEvent:
    return _moved(
        order=order,
        type=T.PAID,
        actor=actor,
        from_status=from_status,
        total=_money(order.total),
    )


def document_issued(*, order: Order, document) -> OrderEvent:
    """An invoice or a credit note was issued (numbered, frozen)."""
    return _record(
        order=order,
        type=T.CREDIT_NOTE_ISSUED
        if document.kind == "credit_note"
        else T.INVOICE_ISSUED,
        data={
            "invoice_id": document.pk,
            "number": document.number,
            "total": _money(document.total),
            "currency": document.currency,
            "refund_id": document.refund_id,
        },
    )


def _refund(refund, **extra) -> dict:
    return {
        "refund_id": refund.pk,
        "payment_id": refund.payment_id,
        "amount": _money(refund.amount),
        "outcome": refund.outcome,
        **extra,
    }


def refund_requested(*, order: Order, actor, refund) -> OrderEvent:
    """A refund was asked for; its reason stays on the refund row."""
    return _record(
        order=order, type=T.REFUND_REQUESTED, actor=actor, data=_refund(refund)
    )


def refunded(*, order: Order, refund) -> OrderEvent:
    return _record(order=order, type=T.REFUNDED, data=_refund(refund))


def refund_failed(*, order: Order, refund) -> OrderEvent:
    """The provider refused the refund, or it kept failing; why is on the refund row."""
    return _record(order=order, type=T.REFUND_FAILED, data=_refund(refund))


def refund_retried(*, order: Order, actor, refund) -> OrderEvent:
    return _record(
        order=order, type=T.REFUND_RETRIED, actor=actor, data=_refund(refund)
    )


# ------------------------------------------------------------------------------
# Fulfilment
# ------------------------------------------------------------------------------
def picking_started(*, order: Order, actor, from_status: str) -> OrderEvent:
    return _moved(
        order=order, type=T.PICKING_STARTED, actor=actor, from_status=from_status
    )


def pack_check_failed(
    *, order: Order, actor, scanned: dict[str, int], problems: list[dict]
) -> OrderEvent:
    """A parcel that did not match was refused; ``problems``: ``{"sku", "scanned", "expected"}``."""
    return _record(
        order=order,
        type=T.PACK_CHECK_FAILED,
        actor=actor,
        data={"scanned": scanned, "problems": problems},
    )


def order_packed(
    *, order: Order, actor, from_status: str, scanned: dict[str, int]
) -> OrderEvent:
    return _moved(
        order=order,
        type=T.PACKED,
        actor=actor,
        from_status=from_status,
        scanned=scanned,
    )


def parcel_shipped(*, order: Order, actor, shipment, complete: bool) -> OrderEvent:
    """A parcel left; ``complete`` when nothing is left to ship after it."""
    contents = [
        {"line_id": sl.order_line_id, "sku": sl.order_line.sku, "quantity": sl.quantity}
        for sl in shipment.lines.select_related("order_line").order_by("pk")
    ]
    return _record(
        order=order,
        type=T.PARCEL_SHIPPED,
        actor=actor,
        data={
            "shipment_id": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "contents": contents,
            "complete": complete,
        },
    )


def order_shipped(*, order: Order, actor, from_status: str, shipment) -> OrderEvent:
    return _moved(
        order=order,
        type=T.SHIPPED,
        actor=actor,
        from_status=from_status,
        shipment_id=shipment.pk,
    )


def order_delivered(*, order: Order, actor, from_status: str) -> OrderEvent:
    return _moved(order=order, type=T.DELIVERED, actor=actor, from_status=from_status)


def order_completed(
    *,
    order: Order,
    actor,
    from_status: str,
    rating: int | None = None,
    after_days: int | None = None,
) -> OrderEvent:
    """Completed: by the customer's confirmation (``rating``), automatically (``after_days``) or by staff."""
    how = "customer" if rating is not None else "auto" if after_days else "staff"
    return _moved(
        order=order,
        type=T.COMPLETED,
        actor=actor,
        from_status=from_status,
        how=how,
        rating=rating,
        after_days=after_days,
    )


# ------------------------------------------------------------------------------
# The customer's side
# ------------------------------------------------------------------------------
def read_back_sent(*, order: Order, actor) -> OrderEvent:
    return _record(order=order, type=T.READ_BACK_SENT, actor=actor)


def read_back_confirmed(*, order: Order, actor) -> OrderEvent:
    return _record(order=order, type=T.READ_BACK_CONFIRMED, actor=actor)


def read_back_disputed(*, order: Order, actor, message) -> OrderEvent:
    """The customer says the read-back is wrong; what they wrote is ``message``."""
    return _record(
        order=order,
        type=T.READ_BACK_DISPUTED,
        actor=actor,
        data={"message_id": message.pk},
    )


def customer_message(*, order: Order, actor, message) -> OrderEvent:
    return _record(
        order=order,
        type=T.CUSTOMER_MESSAGE,
        actor=actor,
        data={"message_id": message.pk},
    )


def staff_replied(*, order: Order, actor, message) -> OrderEvent:
    return _record(
        order=order,
        type=T.STAFF_REPLIED,
        actor=actor,
        data={"message_id": message.pk},
    )


def problem_reported(*, order: Order, actor, issue) -> OrderEvent:
    return _record(
        order=order,
        type=T.PROBLEM_REPORTED,
        actor=actor,
        data={"issue_id": issue.pk, "reason": issue.reason},
    )


def problem_resolved(*, order: Order, actor, issue, reply) -> OrderEvent:
    """Staff resolved a reported problem; ``reply`` is the message the customer sees."""
    return _record(
        order=order,
        type=T.PROBLEM_RESOLVED,
        actor=actor,
        data={"issue_id": issue.pk, "reason": issue.reason, "message_id": reply.pk},
    )


def email_preferences_changed(*, order: Order, actor, optional: bool) -> OrderEvent:
    """The customer chose all emails (``optional``) or only the essential ones."""
    return _record(
        order=order,
        type=T.EMAIL_PREFERENCES_CHANGED,
        actor=actor,
        data={"optional": optional},
    )


# ------------------------------------------------------------------------------
# Notifications
# ------------------------------------------------------------------------------
def email_queued(*, order: Order, notification) -> OrderEvent:
    """An email to the customer was written to the outbox (or skipped: they opted out)."""
    return _record(
        order=order,
        type=T.EMAIL_QUEUED,
        data={
            "notification_id": notification.pk,
            "kind": notification.kind,
            "skipped": notification.skipped,
        },
    )

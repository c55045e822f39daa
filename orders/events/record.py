"""One function per event type: the only code that writes ``OrderEvent`` rows.

The timeline on the staff order page, the audit trail and the customer's
status page all read the same table, so every entry has the same shape.
"""

from decimal import Decimal

from orders.core.models import Order
from orders.events.models import OrderEvent

T = OrderEvent.Type


def _record(
    *,
    order: Order,
    type: str,
    actor,
    message: str,
    data: dict | None = None,
    customer_visible: bool = False,
    from_status: str = "",
    to_status: str = "",
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        type=type,
        actor=actor,
        message=message,
        data=data or {},
        customer_visible=customer_visible,
        from_status=from_status,
        to_status=to_status,
    )


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def order_placed(*, order: Order, actor) -> OrderEvent:
    return _record(
        order=order,
        type=T.PLACED,
        actor=actor,
        message=f"Order placed via {order.get_channel_display()}.",
        data={
            "channel": order.channel,
            "total": _money(order.total),
            "currency": order.currency,
        },
        customer_visible=True,
        to_status=order.status,
    )


def first_check_recorded(
    *, order: Order, actor, items: list[str], price_warnings: list[str]
) -> OrderEvent:
    """The first check, with what was ticked and the price differences accepted."""
    message = "Details, quantities and prices checked; waiting for a second check."
    if price_warnings:
        message += " Accepted price differences: " + " ".join(price_warnings)
    return _record(
        order=order,
        type=T.CHECKED,
        actor=actor,
        message=message,
        data={"checked": items, "price_warnings": price_warnings},
    )


def status_changed(
    *,
    order: Order,
    actor,
    from_status: str,
    message: str = "",
    data: dict | None = None,
    customer_visible: bool = True,
) -> OrderEvent:
    return _record(
        order=order,
        type=T.STATUS_CHANGED,
        actor=actor,
        message=message or f"Order is now {order.get_status_display().lower()}.",
        data=data,
        customer_visible=customer_visible,
        from_status=from_status,
        to_status=order.status,
    )


def stock_allocated(*, order: Order, actor, allocations: list[dict]) -> OrderEvent:
    return _record(
        order=order,
        type=T.STOCK_ALLOCATED,
        actor=actor,
        message="Stock allocated to every line.",
        data={"allocations": allocations},
    )


def stock_released(
    *, order: Order, actor, allocations: list[dict], reason: str
) -> OrderEvent:
    return _record(
        order=order,
        type=T.STOCK_RELEASED,
        actor=actor,
        message=f"Allocated stock released: {reason}",
        data={"allocations": allocations},
    )


def backordered(*, order: Order, actor, missing: list[dict]) -> OrderEvent:
    detail = ", ".join(f"{m['sku']} × {m['missing']}" for m in missing)
    return _record(
        order=order,
        type=T.BACKORDERED,
        actor=actor,
        message=f"Waiting for stock: {detail}.",
        data={"missing": missing},
    )


def payment_step(*, order: Order, actor, payment, message: str) -> OrderEvent:
    """A payment was started, authorized, captured, declined or voided."""
    return _record(
        order=order,
        type=T.PAYMENT,
        actor=actor,
        message=message,
        data={
            "payment_id": payment.pk,
            "provider": payment.provider,
            "method": payment.method,
            "amount": _money(payment.amount),
            "captured": _money(payment.amount_captured),
            "status": payment.status,
        },
    )


def refund_step(
    *, order: Order, actor, refund, message: str, customer_visible: bool = False
) -> OrderEvent:
    """A refund was requested, completed or failed."""
    return _record(
        order=order,
        type=T.REFUND,
        actor=actor,
        message=message,
        data={
            "refund_id": refund.pk,
            "payment_id": refund.payment_id,
            "amount": _money(refund.amount),
            "outcome": refund.outcome,
            "status": refund.status,
        },
        customer_visible=customer_visible,
    )


def payment_balance_requested(*, order: Order, actor, amount: Decimal) -> OrderEvent:
    return _record(
        order=order,
        type=T.PAYMENT,
        actor=actor,
        message=f"Asked the customer for the remaining {_money(amount)} {order.currency}.",
        data={"balance_requested": _money(amount)},
        customer_visible=True,
    )


def discount_changed(*, order: Order, actor, message: str, data: dict) -> OrderEvent:
    return _record(
        order=order, type=T.DISCOUNT, actor=actor, message=message, data=data
    )


def document_issued(*, order: Order, document) -> OrderEvent:
    return _record(
        order=order,
        type=T.INVOICE,
        actor=None,
        message=f"{document.get_kind_display()} {document.number} issued over {_money(document.total)} {document.currency}.",
        data={
            "invoice_id": document.pk,
            "number": document.number,
            "kind": document.kind,
        },
        customer_visible=True,
    )


def shipment_created(*, order: Order, actor, shipment) -> OrderEvent:
    contents = [
        {"sku": sl.order_line.sku, "quantity": sl.quantity}
        for sl in shipment.lines.select_related("order_line")
    ]
    return _record(
        order=order,
        type=T.SHIPMENT_CREATED,
        actor=actor,
        message=f"Shipped with {shipment.carrier}, tracking number {shipment.tracking_number}: "
        + ", ".join(f"{c['quantity']} × {c['sku']}" for c in contents)
        + ".",
        data={
            "shipment_id": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "contents": contents,
        },
        customer_visible=True,
    )


def order_corrected(
    *, order: Order, actor, reason: str, changes: list[str], check_reset: bool
) -> OrderEvent:
    """Lines or address corrected before verification (the check starts over)."""
    message = f"Corrected ({reason}): " + "; ".join(changes) + "."
    if check_reset:
        message += " The first check must be made again."
    return _record(
        order=order,
        type=T.CORRECTED,
        actor=actor,
        message=message,
        data={"reason": reason, "changes": changes, "check_reset": check_reset},
    )


def pack_check_failed(
    *, order: Order, actor, scanned: dict[str, int], problems: list[str]
) -> OrderEvent:
    """A parcel that did not match the order was refused (kept for accuracy figures)."""
    return _record(
        order=order,
        type=T.PACK_CHECK,
        actor=actor,
        message="Pack check failed: " + " ".join(problems),
        data={"scanned": scanned, "problems": problems},
    )


def split_off(*, order: Order, actor, child: Order, moved: list[dict]) -> OrderEvent:
    detail = ", ".join(f"{m['sku']} × {m['quantity']}" for m in moved)
    return _record(
        order=order,
        type=T.SPLIT,
        actor=actor,
        message=f"Ships what is in stock now; {detail} follow(s) as order {child.number}.",
        data={"child": child.number, "moved": moved},
        customer_visible=True,
    )


def split_from(*, order: Order, actor, parent: Order) -> OrderEvent:
    return _record(
        order=order,
        type=T.SPLIT,
        actor=actor,
        message=f"The backordered part of order {parent.number}, to ship when stock arrives.",
        data={"parent": parent.number},
        customer_visible=True,
        to_status=order.status,
    )


def customer_reported(*, order: Order, issue) -> OrderEvent:
    return _record(
        order=order,
        type=T.CUSTOMER_ISSUE,
        actor=None,
        message=f"The customer reports: {issue.get_reason_display()}. {issue.details}".strip(),
        data={"issue_id": issue.pk, "reason": issue.reason},
        customer_visible=True,
    )


def read_back_answered(*, order: Order, correct: bool, details: str) -> OrderEvent:
    return _record(
        order=order,
        type=T.READ_BACK,
        actor=None,
        message=(
            "The customer confirmed the items and prices are correct."
            if correct
            else f"The customer says the order is not right: {details}"
        ),
        data={"read_back": "correct" if correct else "wrong"},
        customer_visible=True,
    )


def note_added(*, order: Order, actor, note) -> OrderEvent:
    return _record(
        order=order,
        type=T.NOTE_ADDED,
        actor=actor,
        message=note.body,
        data={"note_id": note.pk},
    )


def notification_queued(*, order: Order, notification) -> OrderEvent:
    return _record(
        order=order,
        type=T.NOTIFICATION_QUEUED,
        actor=None,
        message=f"Email “{notification.subject}” to {notification.to_email}"
        + (
            " not sent: the customer opted out."
            if notification.status == "skipped"
            else "."
        ),
        data={"kind": notification.kind, "notification_id": notification.pk},
    )

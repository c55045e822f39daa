"""Refunds and voids go to the payment provider through the outbox, after commit.

A service records ``refund_requested`` (or ``refund_retried``) and
``payment_void_requested``; these subscribers write the outbox rows in the same
transaction, and the outbox calls the provider once the change is committed,
never while an order row is locked.
"""

from orders.events.models import EventType as T
from orders.events.models import OrderEvent, topic
from orders.money.models import Refund
from orders.money.payments import payment_void_execute
from orders.money.providers import PaymentTemporarilyUnavailable
from orders.money.refunds import refund_execute, refund_give_up
from ordersite import outbox
from ordersite.facts import subscribe
from ordersite.models import OutboxMessage

REFUND = "refund"
PAYMENT_VOID = "payment_void"


@subscribe(topic(T.REFUND_REQUESTED), topic(T.REFUND_RETRIED))
def refund_after_commit(event: OrderEvent) -> None:
    refund = Refund.objects.get(pk=event.data["refund_id"])
    refund.delivery = outbox.enqueue(REFUND, refund_id=refund.pk)
    refund.save(update_fields=["delivery"])


@subscribe(topic(T.PAYMENT_VOID_REQUESTED))
def void_after_commit(event: OrderEvent) -> None:
    outbox.enqueue(PAYMENT_VOID, payment_id=event.data["payment_id"])


def _send_refund(message: OutboxMessage) -> None:
    refund_execute(refund_id=message.payload["refund_id"], attempt=message.attempts)


def _refund_gave_up(message: OutboxMessage, error: str) -> None:
    refund_give_up(refund_id=message.payload["refund_id"], error=error)


def _send_void(message: OutboxMessage) -> None:
    payment_void_execute(payment_id=message.payload["payment_id"])


def register_kinds() -> None:
    """Tell the outbox how refunds and voids are carried out (from ``OrdersConfig.ready``)."""
    outbox.register(
        REFUND,
        send=_send_refund,
        transient=(PaymentTemporarilyUnavailable,),
        gave_up=_refund_gave_up,
    )
    outbox.register(
        PAYMENT_VOID, send=_send_void, transient=(PaymentTemporarilyUnavailable,)
    )

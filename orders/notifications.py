"""Customer notifications: which change tells the customer what.

For now a notification is an intent recorded on the order's timeline by a
Celery task after commit; the outbox that renders and emails it (templates,
retries, opt-outs) replaces ``tasks.notify_customer`` in the notifications issue.
"""

from django.db import transaction

from orders.models import Order


class Kind:
    RECEIVED = "order_received"
    VERIFIED = "order_verified"
    BACKORDERED = "order_backordered"
    MOVING_AGAIN = "order_moving_again"
    SPLIT = "order_split"
    PAID = "order_paid"
    SHIPPED = "order_shipped"
    DELIVERED = "order_delivered"
    COMPLETED = "order_completed"
    CANCELLED = "order_cancelled"
    REFUNDED = "order_refunded"
    BALANCE_DUE = "order_balance_due"


def notify_on_commit(*, order: Order, kind: str) -> None:
    """Send ``kind`` to the order's customer once the current transaction commits."""
    from orders.tasks import notify_customer

    order_id = order.pk
    transaction.on_commit(lambda: notify_customer.delay(order_id=order_id, kind=kind))

"""Celery tasks of the orders app: thin interfaces that take ids and call services."""

import random

from celery import shared_task
from django.conf import settings


def backoff(retries: int) -> float:
    """Exponential backoff with jitter: base × 2^(n+1), capped at ten minutes."""
    base = settings.ORDERS_RETRY_BACKOFF_SECONDS
    return min(600.0, base * 2 ** (retries + 1)) + random.uniform(0, base)


def retrying(task, attempt, give_up, transient):
    """Run ``attempt()``; on a ``transient`` error retry with backoff, at last ``give_up(error)``.

    Eagerly (no broker) the retries happen at once in-process; on a worker they
    are spaced out with ``backoff``. Either way the outcome is recorded, never lost.
    """
    while True:
        try:
            return attempt()
        except transient as exc:
            if task.request.retries >= task.max_retries:
                return give_up(str(exc))
            if task.request.is_eager:
                task.request.retries += 1
                continue
            raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc


@shared_task(name="orders.send_notification", bind=True, acks_late=True, max_retries=6)
def send_notification(self, *, notification_id: int) -> str:
    """Email one notification; temporary failures retry with backoff and jitter."""
    from orders.notifications import emails as notifications

    return retrying(
        self,
        lambda: notifications.notification_send(notification_id=notification_id).status,
        lambda error: (
            notifications.notification_give_up(
                notification_id=notification_id, error=error
            ).status
        ),
        notifications.TRANSIENT,
    )


@shared_task(name="orders.sweep_notifications")
def sweep_notifications() -> int:
    """Periodic: re-dispatch notifications a lost message or a dead worker left behind."""
    from orders.notifications import emails as notifications

    return notifications.notifications_sweep()


@shared_task(name="orders.fill_backorders", acks_late=True)
def fill_backorders(*, product_ids: list[int]) -> list[str]:
    """Allocate the backordered orders that the arrived stock can now serve."""
    from orders.stock.services import orders_fill_backorders

    return orders_fill_backorders(product_ids=product_ids)


@shared_task(name="orders.execute_refund", bind=True, acks_late=True, max_retries=6)
def execute_refund(self, *, refund_id: int) -> str:
    """Send one refund to the provider; temporary failures retry with backoff and jitter."""
    from orders.money import refunds as payments
    from orders.money.providers import PaymentTemporarilyUnavailable

    return retrying(
        self,
        lambda: payments.refund_execute(refund_id=refund_id).status,
        lambda error: payments.refund_give_up(refund_id=refund_id, error=error).status,
        PaymentTemporarilyUnavailable,
    )


@shared_task(name="orders.redispatch_refunds")
def redispatch_refunds() -> int:
    """Periodic: send again refunds left pending or half-done for ten minutes."""
    from orders.money import refunds as payments

    return payments.refunds_redispatch()


@shared_task(name="orders.auto_complete")
def auto_complete() -> list[str]:
    """Periodic: complete orders delivered long ago with no problem reported."""
    from orders.customer import services as customer

    return customer.orders_auto_complete()

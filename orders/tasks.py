"""Celery tasks of the orders app: thin interfaces that take ids and call services."""

from celery import shared_task

from orders import services


@shared_task(name="orders.notify_customer", acks_late=True)
def notify_customer(*, order_id: int, kind: str) -> int:
    """Record that ``kind`` is to be sent to the customer of order ``order_id``."""
    return services.notification_record(order_id=order_id, kind=kind).pk


@shared_task(name="orders.fill_backorders", acks_late=True)
def fill_backorders(*, product_ids: list[int]) -> list[str]:
    """Allocate the backordered orders that the arrived stock can now serve."""
    return services.orders_fill_backorders(product_ids=product_ids)

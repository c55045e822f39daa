"""Celery tasks of the orders app: thin interfaces that take ids and call services.

Emails, staff alerts, refunds, voids and backorder filling are outbox messages
(``ordersite.outbox``), delivered by the outbox's own task.
"""

from celery import shared_task


@shared_task(name="orders.auto_complete")
def auto_complete() -> list[str]:
    """Periodic: complete orders delivered long ago with no open problem."""
    from orders.customer import services as customer

    return customer.orders_auto_complete()


@shared_task(name="orders.scan_delays")
def scan_delays() -> dict:
    """Periodic (beat, every ORDERS_DELAY_SCAN_SECONDS): late orders become delay
    cases. Short and idempotent, so no countdown and no long-running task."""
    from orders.delays.services import delays_scan

    result = delays_scan()
    return {
        "opened": len(result.opened),
        "escalated": len(result.escalated),
        "slips": result.slips,
    }

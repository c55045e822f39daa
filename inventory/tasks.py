"""Celery tasks of the inventory app: thin interfaces over its services."""

from celery import shared_task

from inventory import alerts


@shared_task(name="inventory.check_low_stock")
def check_low_stock() -> dict:
    """Refresh low-stock alerts and send the day's email to purchasing if due."""
    opened, closed = alerts.low_stock_refresh()
    digest = alerts.low_stock_email()
    return {"opened": opened, "closed": closed, "emailed": digest is not None}

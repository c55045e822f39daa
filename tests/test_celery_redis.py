"""The real thing: tasks cross Redis to a Celery worker, and the cache lives in Redis."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from orders.models import Notification, OrderEvent
from orders.notifications.emails import Kind
from ordersite.celery import app as celery_app
from ordersite.models import OutboxMessage


@pytest.fixture
def real_worker(settings):
    """A Celery worker thread consuming from Redis, with tasks no longer run eagerly."""
    celery_app.conf.update(task_always_eager=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ):
            yield
    finally:
        celery_app.conf.update(task_always_eager=True)


@pytest.mark.redis
def test_redis_is_the_broker_and_the_cache(settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert celery_app.conf.broker_url.startswith("redis://")
    cache.set("ordersite-test-key", "value", 10)
    assert cache.get("ordersite-test-key") == "value"
    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_committed_placement_reaches_the_worker(place, real_worker):
    assert not celery_app.conf.task_always_eager  # the task must travel through Redis
    # when an order is placed (and committed)
    order = place()

    # then its email, written with the order, is delivered by the worker through Redis
    notification = Notification.objects.get(order=order, kind=Kind.RECEIVED)
    delivery = OutboxMessage.objects.filter(pk=notification.delivery_id)
    deadline = time.monotonic() + 20
    while delivery.get().status != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert delivery.get().status == "sent"
    assert OrderEvent.objects.filter(order=order, type="email_queued").count() == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_receipt_fills_a_backorder_through_the_worker(
    order_in, crew, staff, warehouse, real_worker
):
    from inventory import services as inventory
    from orders.models import Order, OrderStatus
    from orders.permissions import Role
    from orders.stock import services as stock_services
    from tests.factories.inventory import ProductFactory

    product = ProductFactory()
    order = order_in("verified", lines=[(product, 2)], stocked=False)
    order = stock_services.order_check_inventory(order=order, actor=crew.warehouse)
    assert order.status == OrderStatus.BACKORDERED

    # when the goods arrive (and the receipt commits)
    inventory.receipt_create(
        warehouse=warehouse,
        supplier="Roastery Ltd",
        lines=[inventory.ReceiptLine(product, 5)],
        actor=staff[Role.WAREHOUSE],
    )

    # then the worker, fed through Redis, allocates the waiting order
    deadline = time.monotonic() + 20
    while Order.objects.get(pk=order.pk).status != OrderStatus.ALLOCATED:
        assert time.monotonic() < deadline, "the backorder was not filled by the worker"
        time.sleep(0.1)

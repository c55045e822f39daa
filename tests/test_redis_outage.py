"""Redis stops in the middle of the day: saved changes stay saved, no page answers 500.

A private Redis (its own port) serves as broker and cache; it is stopped while
staff enter phone orders and customers look their orders up, then started
again, and the outbox's sweeper sends what waited.
"""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from kombu import pools as kombu_pools

from orders.models import Notification, Order
from orders.permissions import Role
from ordersite import outbox
from ordersite.celery import app as celery_app
from ordersite.models import OutboxMessage
from tests.factories.inventory import ProductFactory

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server program"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    def __init__(self, tmp_path):
        self.port, self.dir, self.process = _free_port(), tmp_path, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the private Redis did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _new_broker_connections():
    """Drop the pooled broker connections (the next publish connects afresh).

    kombu keeps producer pools in a process-wide registry keyed by connection:
    closing only the app's pool would leave a closed pool there for the next
    test with the same broker URL ("Acquire on closed pool").
    """
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def redis_outage(tmp_path, settings):
    """A private Redis as broker and cache, with tasks really queued (not run in-process)."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    caches._connections.__dict__.pop("default", None)  # forget the cached backend
    before = {
        key: celery_app.conf[key]
        for key in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    celery_app.conf.update(
        broker_url=redis.url,
        task_always_eager=False,
        broker_transport_options={"socket_connect_timeout": 1},
    )
    _new_broker_connections()
    yield redis
    redis.stop()
    celery_app.conf.update(
        broker_url=before["broker_url"],
        task_always_eager=before["task_always_eager"],
        broker_transport_options=before["broker_transport_options"],
    )
    _new_broker_connections()
    caches._connections.__dict__.pop("default", None)


def _phone_order(client, product, email):
    return client.post(
        reverse("orders:new"),
        {
            "channel": "phone",
            "email": email,
            "name": "Outage Caller",
            "address": "Hauptstraße 1\n10115 Berlin",
            "country": "DE",
            "shipping": "4.90",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-sku": product.sku,
            "lines-0-quantity": "2",
        },
    )


@pytest.mark.django_db
def test_staff_and_customers_meet_no_error_while_redis_is_down(
    client, staff, redis_outage, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    client.force_login(staff[Role.CLERK])
    with django_capture_on_commit_callbacks(execute=True):
        assert _phone_order(client, product, "before@example.com").status_code == 302

    redis_outage.stop()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            _phone_order(client, product, f"during{n}@example.com") for n in range(3)
        ]
    # each order is saved and the clerk is sent to it, not to an error page
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert Order.objects.count() == 4
    print("outage requests took", time.monotonic() - started)
    assert time.monotonic() - started < 20  # no long hang per request
    # the customers' side answers too: the lookup degrades, never a 500
    client.logout()
    order = Order.objects.get(customer__email="during0@example.com")
    lookup = client.post(
        reverse("track:lookup"),
        {"number": order.number, "email": "during0@example.com"},
    )
    assert lookup.status_code == 302
    page = client.get(reverse("track:order", args=[order.tracking_token]))
    assert page.status_code == 200
    # the emails of the orders saved during the outage wait in the outbox
    waiting = OutboxMessage.objects.filter(
        notification__order__customer__email__startswith="during",
        status=OutboxMessage.Status.PENDING,
    )
    assert waiting.count() == 3

    # Redis is back: the sweeper queues what waited
    redis_outage.start()
    _new_broker_connections()
    waiting.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert outbox.sweep() >= 3
    assert (
        Notification.objects.filter(order__customer__email__startswith="during").count()
        == 3
    )

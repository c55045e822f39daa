"""Rate limits: atomic under a burst, per client behind trusted proxies, never an error without Redis."""

import threading

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from django.urls import reverse

from orders.models import OrderStatus
from ordersite import ratelimit
from ordersite.models import OutboxMessage


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    ratelimit._local.clear()
    yield
    cache.clear()


def _burst(n: int, fn) -> list:
    results, start = [], threading.Barrier(n)

    def run():
        start.wait()
        results.append(fn())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_sixty_attempts_at_once_let_exactly_the_limit_through():
    allowed = _burst(60, lambda: ratelimit.allow("test", "1.2.3.4", limit=20))
    assert allowed.count(True) == 20 and len(allowed) == 60


@pytest.mark.redis
def test_the_limit_is_atomic_in_redis_too(monkeypatch):
    import os

    from django.core.cache.backends.redis import RedisCache

    redis = RedisCache(os.environ["REDIS_URL"], {})
    monkeypatch.setattr(ratelimit, "cache", redis)
    redis.delete("ratelimit:test:5.6.7.8")
    try:
        allowed = _burst(60, lambda: ratelimit.allow("test", "5.6.7.8", limit=20))
        assert allowed.count(True) == 20
    finally:
        redis.delete("ratelimit:test:5.6.7.8")


def test_without_the_cache_the_count_is_kept_per_process(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(cache, "add", down)
    results = [ratelimit.allow("test", "9.9.9.9", limit=3) for _ in range(5)]
    assert results == [True, True, True, False, False]


@pytest.mark.django_db
def test_the_lookup_page_answers_when_the_cache_is_down(client, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(cache, "add", down)
    response = client.post(
        reverse("track:lookup"), {"number": "ORD-000001", "email": "x@example.com"}
    )
    assert response.status_code == 200
    assert "could not find an order" in response.content.decode()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1", "10.0.0.1"),  # no proxy: the header is ignored
        (1, "6.6.6.6, 203.0.113.7", "10.0.0.1", "203.0.113.7"),  # the proxy's entry
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "10.0.0.1", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1", "10.0.0.1"),  # fewer entries than proxies
    ],
)
def test_the_client_address_behind_trusted_proxies(
    proxies, forwarded, remote, expected
):
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote
    )
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert ratelimit.client_address(request) == expected


@pytest.mark.django_db
def test_a_burst_of_customer_messages_is_stopped(
    client, order_in, settings, django_capture_on_commit_callbacks
):
    settings.TRACK_MESSAGES_PER_HOUR = 3
    settings.ORDERS_STAFF_ALERT_EMAILS = ["team@example.com"]
    order = order_in(OrderStatus.SHIPPED)
    url = reverse("track:message", args=[order.tracking_token])
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(url, {"body": f"Where is it? {n}"}, follow=True)
            for n in range(5)
        ]
    assert order.messages.count() == 3
    assert OutboxMessage.objects.filter(kind="staff_alert").count() == 3
    assert "several messages in a short time" in responses[-1].content.decode()

"""The Redis cache reuses one client per connection pool and still works across threads."""

import threading

import pytest
from django.core.cache import caches


@pytest.mark.redis
def test_one_client_serves_every_call_and_every_thread_gets_its_values():
    cache = caches["default"]
    assert type(cache).__module__ == "ordersite.cache"
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    errors = []

    def worker(n):
        try:
            for i in range(50):
                key = f"test-cache:{n}:{i}"
                caches["default"].set(key, f"value {n} {i}", 30)
                assert caches["default"].get(key) == f"value {n} {i}"
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

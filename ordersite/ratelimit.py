"""Counting attempts per client: atomic in the shared cache, never an error when it is down.

``allow`` counts one attempt and says whether it is still within the limit.
The count is an atomic increment in the cache (Redis in production), so a
burst of simultaneous attempts cannot slip past the limit. If the cache does
not answer, the count falls back to this process (a limit per worker rather
than none) and the page still answers: a customer never sees an error
because Redis is restarting.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_local: dict[str, tuple[int, float]] = {}
_local_lock = threading.Lock()


def _count_here(key: str, window: int) -> int:
    """The per-process count, used while the shared cache is unreachable."""
    now = time.monotonic()
    with _local_lock:
        count, until = _local.get(key, (0, now + window))
        if until <= now:
            count, until = 0, now + window
        _local[key] = (count + 1, until)
        return count + 1


def allow(scope: str, who: str, *, limit: int, window: int = 3600) -> bool:
    """Count one attempt of ``who`` at ``scope``; False once more than ``limit`` in ``window``."""
    key = f"ratelimit:{scope}:{who}"
    try:
        cache.add(key, 0, window)  # starts the window; does nothing if it runs
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.add(key, 0, window)
            count = cache.incr(key)
    except Exception:  # noqa: BLE001 - any cache failure degrades, never fails the page
        logger.warning(
            "Rate-limit cache unavailable; counting per process", exc_info=True
        )
        count = _count_here(key, window)
    return count <= limit


def client_address(request) -> str:
    """The client's address: behind ``TRUSTED_PROXY_COUNT`` proxies, the one they saw.

    Each trusted proxy appends the address it received the request from to
    ``X-Forwarded-For``; the client is the entry that many places from the end.
    Entries before it are whatever the client sent, and are never trusted.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")

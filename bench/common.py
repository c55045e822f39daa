"""What the benchmarks share: the Django set-up against the load database, the
exception that rolls a benchmark's writes back, and the median of timed runs."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    """Django with the local settings, sending nothing."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")
    os.environ.setdefault(
        "EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend"
    )
    import django

    django.setup()


class Rollback(Exception):
    """Raised at the end of a benchmark's transaction so that nothing stays."""


def median_ms(action, runs: int) -> float:
    times = []
    for _n in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)

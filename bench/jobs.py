"""Benchmark: periodic jobs and reports on the data in the database.

    DATABASE_URL=postgres://… .venv/bin/python bench/jobs.py [--runs 3]

Times each job as beat runs it (its task function, in this process) and each
report, median of ``--runs``, with the number of queries. Jobs that change data
run inside a transaction that is rolled back, so the data stays as it was (the
auto-complete job would otherwise complete the delivered orders once and have
nothing to do afterwards). ``audit_stock`` is timed incremental (after one full
run has written the checkpoints) and full.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


class Rollback(Exception):
    pass


def rolled_back(job):
    def run():
        try:
            with transaction.atomic():
                job()
                raise Rollback
        except Rollback:
            pass

    return run


def jobs() -> dict:
    from inventory.selectors import inventory_health, ledger_audit
    from inventory.tasks import check_low_stock
    from orders.tasks import auto_complete
    from ordersite.outbox import sweep

    return {
        "auto-complete (hourly)": rolled_back(auto_complete),
        "outbox sweep (2 min)": rolled_back(sweep),
        "low-stock check (hourly)": rolled_back(check_low_stock),
        "audit_stock, incremental": lambda: ledger_audit(),
        "audit_stock --full": lambda: ledger_audit(full=True),
        "inventory health report": lambda: inventory_health(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from orders.models import Order

    print(
        f"{connection.vendor}, {Order.objects.count():,} orders, median of {args.runs}"
    )
    from inventory.selectors import ledger_audit

    ledger_audit(full=True)  # write the checkpoints the incremental run starts from
    print(f"| {'job or report':28} | {'median s':>8} | {'queries':>7} |")
    print(f"| {'-' * 28} | {'-' * 7}: | {'-' * 6}: |")
    for name, job in jobs().items():
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                job()
                times.append(time.perf_counter() - started)
        print(f"| {name:28} | {statistics.median(times):8.2f} | {len(queries):7d} |")


if __name__ == "__main__":
    main()

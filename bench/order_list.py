"""Benchmark: the staff order list on a large table.

    DATABASE_URL=postgres://… .venv/bin/python bench/order_list.py [--orders 100000]

Makes sure the database holds at least ``--orders`` orders (``generate_orders``),
then requests the list with typical filters through Django's test client and
prints, per case, the median and worst time of several runs and the query count.
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

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

CASES = {
    "first page, newest first": {},
    "status = paid": {"status": "paid"},
    "search by email": {"q": "bench1234@example.com"},
    "search by name fragment": {"q": "Customer 77"},
    "search by SKU": {"q": "GEN-0007"},
    "payment not covered": {"payment": "unpaid"},
    "past ship-by date": {"overdue": "on"},
    "sort by total, 200 per page": {"sort": "-total", "size": "200"},
    "page 400": {"page": "400"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from django.contrib.auth import get_user_model

    from orders.models import Order

    missing = args.orders - Order.objects.count()
    if missing > 0:
        call_command("generate_orders", count=missing, stdout=open(os.devnull, "w"))
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = reverse("orders:list")
    print(
        f"{connection.vendor}, {Order.objects.count()} orders, {args.runs} runs per case"
    )
    print(f"{'case':32} {'median ms':>10} {'worst ms':>9} {'queries':>8}")
    for name, params in CASES.items():
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(
            f"{name:32} {statistics.median(timings):10.1f} {max(timings):9.1f} {len(queries):8d}"
        )


if __name__ == "__main__":
    main()

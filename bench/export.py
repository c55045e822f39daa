"""Benchmark: the full order CSV export, complete, against a raw COPY of the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/export.py [--url http://127.0.0.1:8000]

Streams ``/staff/orders/?format=csv`` (every order, no filter) through Django's
test client, or through a running server with ``--url`` (log in as ``--user``),
counts the rows and checks they are every order: a cut-off export fails here.
The baseline is PostgreSQL's own ``COPY (SELECT …) TO STDOUT`` of the same columns
with the same join, read by psycopg in the same run.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

COPY = """
COPY (
    SELECT o.number, o.placed_at, o.channel, o.status, c.name, c.email,
           o.ship_by, o.currency, o.total
    FROM orders_order o JOIN orders_customer c ON c.id = o.customer_id
    ORDER BY o.placed_at DESC, o.id DESC
) TO STDOUT WITH CSV HEADER
"""


def raw_copy() -> tuple[int, float]:
    started = time.perf_counter()
    rows = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(COPY) as copy:
            for chunk in copy:
                rows += bytes(chunk).count(b"\n")
    return rows - 1, time.perf_counter() - started


def through_client() -> tuple[int, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    started = time.perf_counter()
    response = client.get("/staff/orders/", {"format": "csv"})
    rows = sum(bytes(chunk).count(b"\n") for chunk in response.streaming_content)
    return rows - 1, time.perf_counter() - started


def through_server(url: str, user: str, password: str) -> tuple[int, float]:
    import re
    import urllib.request
    from http.cookiejar import CookieJar
    from urllib.parse import urlencode

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/staff/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    opener.open(
        urllib.request.Request(
            f"{url}/staff/login/",
            data=urlencode(
                {"username": user, "password": password, "csrfmiddlewaretoken": token}
            ).encode(),
            headers={"Referer": f"{url}/staff/login/"},
        )
    ).read()
    started = time.perf_counter()
    rows = 0
    with opener.open(f"{url}/staff/orders/?format=csv", timeout=600) as response:
        while chunk := response.read(1 << 16):
            rows += chunk.count(b"\n")
    return rows - 1, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="ordersite-demo")
    args = parser.parse_args()
    from orders.models import Order

    total = Order.objects.count()
    base_rows, base_s = raw_copy()
    if args.url:
        rows, seconds = through_server(args.url, args.user, args.password)
    else:
        rows, seconds = through_client()
    print(f"{connection.vendor}, {total:,} orders")
    print(
        f"raw COPY:     {base_rows:>10,} rows in {base_s:6.1f} s ({base_rows / base_s:>9,.0f} rows/s)"
    )
    print(
        f"order export: {rows:>10,} rows in {seconds:6.1f} s ({rows / seconds:>9,.0f} rows/s)"
    )
    print(
        f"ratio (export rows/s ÷ COPY rows/s): {(rows / seconds) / (base_rows / base_s):.2f}"
    )
    complete = rows == total
    print("complete" if complete else f"INCOMPLETE: {rows:,} of {total:,} rows")
    sys.exit(0 if complete else 1)


if __name__ == "__main__":
    main()

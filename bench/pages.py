"""Benchmark: staff and customer pages against a bare one-query view, interleaved.

    DATABASE_URL=postgres://… .venv/bin/python bench/pages.py [--runs 9] [--only NAME]

Fill the database first (``manage.py generate_load_data --orders N``). Each case is
requested through Django's test client (the whole request: middleware, queries,
template, response) alternately with a bare view that runs one indexed query on
the orders table and returns a few bytes. Per case it prints the median of the
runs, the bare view's median over the same runs, their ratio, and the number of
queries. The ratio is the figure to compare across machines and sizes.
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402


def bare(request, pk):
    """The baseline: one indexed query on the orders table, a tiny response."""
    from orders.models import Order

    number = Order.objects.filter(pk=pk).values_list("number", flat=True).first()
    return HttpResponse(number or "-")


urlpatterns = [path("bench/bare/<int:pk>/", bare)]


def cases() -> dict[str, tuple[str, dict]]:
    """What is measured: name → (url, query). Rows are picked from the data."""
    from django.db.models import Count

    from orders.models import Order, OrderStatus

    newest = Order.objects.order_by("-pk").first()
    done = (
        Order.objects.filter(status=OrderStatus.COMPLETED)
        .annotate(n=Count("lines"))
        .filter(n=3)
        .order_by("-pk")
        .first()
    ) or newest
    # the customer of an ordinary completed order (not whatever another benchmark
    # created last)
    customer = done.customer
    sku = done.lines.first().sku
    fragment = customer.name.split()[-1][:4]
    placed = Order.objects.filter(status=OrderStatus.PLACED).order_by("pk").first()
    return {
        "staff dashboard": ("/staff/", {}),
        "order list, first page": ("/staff/orders/", {}),
        "order list, status completed": ("/staff/orders/", {"status": "completed"}),
        "search by email": ("/staff/orders/", {"q": customer.email.upper()}),
        "search by order number": ("/staff/orders/", {"q": done.number.lower()}),
        "search by SKU": ("/staff/orders/", {"q": sku}),
        "search by name fragment": ("/staff/orders/", {"q": fragment}),
        "payment not covered": ("/staff/orders/", {"payment": "unpaid"}),
        "past ship-by": ("/staff/orders/", {"overdue": "on"}),
        "sort by total": ("/staff/orders/", {"sort": "-total"}),
        "page 10,000": ("/staff/orders/", {"page": "10000"}),
        "order page (3 lines)": (f"/staff/orders/{done.number}/", {}),
        "checklist": (f"/staff/orders/{(placed or done).number}/verification/", {}),
        "inventory health": ("/staff/inventory/health/", {}),
        "customer status page": (f"/track/{done.tracking_token}/", {}),
        # the order-entry picker, as a caller reads out who they are
        "picker: email start": (PICKER, {"find": customer.email[:8]}),
        "picker: name fragment": (PICKER, {"find": fragment}),
        "picker: phone digits": (PICKER, {"find": _spoken_phone(customer.phone)}),
        "picker: postcode": (PICKER, {"find": _postcode(customer.shipping_address)}),
        "picker: nobody": (PICKER, {"find": "zzqx9 nobody"}),
    }


PICKER = "/staff/orders/new/customers/"


def _spoken_phone(phone: str) -> str:
    """The last seven digits as a caller might say them, grouped differently."""
    digits = "".join(c for c in phone if c.isdigit())[-7:]
    return f"{digits[:3]} {digits[3:]}"


def _postcode(address: str) -> str:
    """The first run of four or more digits in an address (a postcode)."""
    import re

    found = re.search(r"\b\d{4,}\b", address)
    return found.group(0) if found else address.split()[-1]


def timed(client, url, params) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, response.status_code, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", default="", help="run the cases whose name has this")
    args = parser.parse_args()

    from django.contrib.auth import get_user_model

    from orders.models import Order

    settings.ROOT_URLCONF = "bench.pages_urls"
    settings.DEBUG = False
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    total = Order.objects.count()
    some = Order.objects.order_by("pk").values_list("pk", flat=True)[total // 2]
    bare_url = f"/bench/bare/{some}/"
    print(f"{connection.vendor}, {total:,} orders, {args.runs} runs per case")
    print(
        f"| {'page':30} | {'median ms':>9} | {'bare ms':>7} | {'× bare':>7} | {'queries':>7} |"
    )
    print(f"| {'-' * 30} | {'-' * 8}: | {'-' * 6}: | {'-' * 6}: | {'-' * 6}: |")
    for name, (url, params) in cases().items():
        if args.only and args.only not in name:
            continue
        timed(client, url, params)  # warm: the first request of a kind
        timed(client, bare_url, {})
        page_ms, bare_ms, queries = [], [], 0
        for _ in range(args.runs):
            ms, status, queries = timed(client, url, params)
            assert status == 200, (name, status)
            page_ms.append(ms)
            bare_ms.append(timed(client, bare_url, {})[0])
        page, base = statistics.median(page_ms), statistics.median(bare_ms)
        print(
            f"| {name:30} | {page:9.1f} | {base:7.2f} | {page / base:7.1f} | {queries:7d} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: the integration API at scale, against the same work without HTTP.

    DATABASE_URL=postgres://… .venv/bin/python bench/api.py [--orders 60]

Interleaved, on the same data: creating an order through ``POST /api/v1/orders/``
(the whole request: key check, rate limit, JSON, validation, the intake service,
the answer) and the intake service called directly with the same order; a
retried create (the same reference: found, nothing written); reading an order;
the changes feed from a recent cursor; and a bare view running one indexed
query (the ratio baseline of bench/pages.py). Medians in ms, the ratio to the
direct service call or to the bare view, and queries per request. Orders made
here are left in the database (source ``api:Bench`` / ``bench-direct``).
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def timed(action):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = action()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(queries), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=60)
    args = parser.parse_args()

    from inventory.models import Product, StockItem
    from orders.core.models import Order
    from orders.intake.services import IncomingLine, IncomingOrder, order_receive
    from ordersite.actors import Actor
    from ordersite.api.models import ApiKey
    from ordersite.api.services import api_key_create

    settings.ROOT_URLCONF = "bench.pages_urls"
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ApiKey.objects.filter(name="Bench").delete()
    _key, raw = api_key_create(
        name="Bench", scopes=["orders:write", "orders:read"], rate_per_minute=10**6
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="127.0.0.1")
    skus = list(
        StockItem.objects.filter(on_hand__gt=100, product__active=True)
        .order_by("product__sku")
        .values_list("product__sku", flat=True)
        .distinct()[:3]
    ) or list(Product.objects.filter(active=True).values_list("sku", flat=True)[:3])
    country = "DE"
    total = Order.objects.count()
    some = Order.objects.order_by("pk").values_list("pk", flat=True)[total // 2]
    number = Order.objects.order_by("-pk").values_list("number", flat=True).first()

    def body(reference):
        return {
            "reference": reference,
            "customer": {
                "email": f"{reference.lower()}@bench.example",
                "name": "Bench Buyer",
            },
            "shipping": {"address": "Torstr. 1\n10119 Berlin", "country": country},
            "lines": [{"sku": s, "quantity": 1} for s in skus],
        }

    def api_create():
        reference = f"B-{uuid.uuid4().hex[:12]}"
        response = client.post(
            "/api/v1/orders/",
            json.dumps(body(reference)),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]
        return reference

    def direct_create():
        b = body(f"D-{uuid.uuid4().hex[:12]}")
        order_receive(
            incoming=IncomingOrder(
                source="bench-direct",
                external_id=b["reference"],
                email=b["customer"]["email"],
                name=b["customer"]["name"],
                shipping_address=b["shipping"]["address"],
                shipping_country=country,
                lines=[IncomingLine(sku=s, quantity=1) for s in skus],
            ),
            actor=Actor.for_integration("Bench"),
        )

    last_reference = api_create()  # warm
    direct_create()
    rows = {
        name: ([], 0)
        for name in (
            "api create",
            "direct create",
            "api retry",
            "api read",
            "api changes",
            "bare",
        )
    }

    def record(name, action):
        ms, queries, result = timed(action)
        rows[name][0].append(ms)
        rows[name] = (rows[name][0], queries)
        return result

    cursor = str(
        __import__("orders.events.models", fromlist=["OrderEvent"])
        .OrderEvent.objects.order_by("-pk")
        .values_list("pk", flat=True)[200]
    )
    for _ in range(args.orders):
        last_reference = record("api create", api_create)
        record("direct create", direct_create)
        record(
            "api retry",
            lambda reference=last_reference: client.post(
                "/api/v1/orders/",
                json.dumps(body(reference)),
                content_type="application/json",
            ),
        )
        record("api read", lambda: client.get(f"/api/v1/orders/{number}/"))
        record(
            "api changes",
            lambda: client.get("/api/v1/orders/", {"changed_since": cursor}),
        )
        record("bare", lambda: client.get(f"/bench/bare/{some}/"))
    direct = statistics.median(rows["direct create"][0])
    bare = statistics.median(rows["bare"][0])
    print(
        f"{connection.vendor}, {total:,} orders before, {args.orders} runs per case, {len(skus)} lines"
    )
    print(f"| {'case':16} | {'median ms':>9} | {'ratio':>16} | {'queries':>7} |")
    print(f"| {'-' * 16} | {'-' * 8}: | {'-' * 15}: | {'-' * 6}: |")
    for name, (times, queries) in rows.items():
        median = statistics.median(times)
        if name == "api create":
            ratio = f"{median / direct:.2f}× direct"
        elif name in ("direct create", "bare"):
            ratio = "baseline"
        else:
            ratio = f"{median / bare:.1f}× bare"
        print(f"| {name:16} | {median:9.1f} | {ratio:>16} | {queries:7d} |")


if __name__ == "__main__":
    main()

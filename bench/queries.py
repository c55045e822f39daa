"""Benchmark: queries per step for an order of 1 line and of 20 lines.

    .venv/bin/python bench/queries.py            # SQLite or DATABASE_URL=postgres://…

Drives one order of each size through the services (placement, first check,
verification, inventory check, payment, picking, packing, shipping, delivery,
completion) and reads its staff page and checklist, counting the queries of
each step. Everything happens in one transaction that is rolled back at the end,
so any database can be used. A step whose count grows with the lines does
per-line work that should be done in bulk.
"""

import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SIZES = (1, 20)


class Rollback(Exception):
    pass


def measure() -> dict[str, dict[int, int]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from inventory import services as inventory
    from inventory.models import Product, Warehouse
    from orders import demo
    from orders.core import services
    from orders.customer.models import Customer
    from orders.money import pricing

    user_model = get_user_model()

    def staff(name, role):
        user = user_model.objects.create_user(f"bench-{name}", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    crew = demo.Crew(
        clerk=staff("clerk", "clerk"),
        verifier=staff("verifier", "verifier"),
        warehouse=staff("warehouse", "warehouse"),
    )
    manager = staff("manager", "manager")
    warehouse = Warehouse.objects.filter(is_default=True).first() or (
        Warehouse.objects.create(code="BENCH", name="Bench", is_default=True)
    )
    products = [
        Product.objects.create(
            sku=f"BENCH-Q-{n:02d}", name=f"Bench {n}", unit_price="9.90"
        )
        for n in range(max(SIZES))
    ]
    for product in products:
        inventory.stock_receive(
            product=product,
            warehouse=warehouse,
            quantity=100,
            actor=manager,
            reference="BENCH",
        )
    customer = Customer.objects.create(
        name="Bench Customer",
        email="bench-queries@example.com",
        shipping_address="1 Bench St",
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    counts: dict[str, dict[int, int]] = {}

    def count(step, size, action):
        with CaptureQueriesContext(connection) as queries:
            result = action()
        counts.setdefault(step, {})[size] = len(queries)
        return result

    rng = random.Random(1)
    for size in SIZES:
        lines = [pricing.LineInput(product=p, quantity=2) for p in products[:size]]
        order = count(
            "place",
            size,
            lambda lines=lines: services.order_place(
                customer=customer, channel="phone", lines=lines, actor=crew.clerk
            ),
        )
        count(
            "staff order page",
            size,
            lambda o=order: client.get(f"/staff/orders/{o.number}/"),
        )
        count(
            "checklist",
            size,
            lambda o=order: client.get(f"/staff/orders/{o.number}/verification/"),
        )
        for step in demo.PATH[1:]:
            order = count(
                step, size, lambda o=order, s=step: demo.step(o, s, crew=crew, rng=rng)
            )
    return counts


def main() -> None:
    counts = {}
    try:
        with transaction.atomic():
            counts = measure()
            raise Rollback
    except Rollback:
        pass
    print(f"{connection.vendor}; queries per step, by lines on the order")
    print(f"| {'step':18} | {'1 line':>6} | {'20 lines':>8} | grows |")
    print(f"| {'-' * 18} | {'-' * 5}: | {'-' * 7}: | :---: |")
    for step, by_size in counts.items():
        one, twenty = by_size[1], by_size[20]
        print(
            f"| {step:18} | {one:6d} | {twenty:8d} | {'yes' if twenty > one else ''} |"
        )


if __name__ == "__main__":
    main()

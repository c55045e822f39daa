"""Benchmark: order intake with 1, 4 and 16 processes against raw psycopg.

    DATABASE_URL=postgres://… .venv/bin/python bench/intake.py [--seconds 20] [--workers 1 4 16]

Intake is what a phone order costs the back office before picking: find or create
the customer by email, place the order (3 lines priced by the rules), record the
first check, verify it (a second person) and run the inventory check. Each worker
process does this in a loop through the services for ``--seconds``; then the
baseline does the same writes with raw psycopg, one transaction per order (the
customer row, the order, its lines, six events, three stock updates with their
ledger and allocation rows, and the two customer emails' rows: message, outbox
row and "queued" fact). Both run against the same products and stock, many
workers competing for the same stock rows. It prints orders per second of each,
their ratio, and checks afterwards: no deadlock or other failure, no stock row
promised beyond what it holds, the ledger equal to the stock (``audit_stock``).

The orders and stock it writes stay in the database (use a scratch database).
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")
# Customer emails are queued as in production (to Redis with REDIS_URL set); when
# delivered here (no REDIS_URL) they go nowhere instead of to the terminal.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

PRODUCTS = 40
STOCK = 1_000_000


def _setup_django():
    import django

    django.setup()


def prepare() -> dict:
    """Products with plenty of stock in two warehouses and three staff members."""
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from inventory import services as inventory
    from inventory.models import Product, StockItem, Warehouse

    users = {}
    for role in ("clerk", "verifier", "warehouse", "manager"):
        user, _ = get_user_model().objects.get_or_create(
            username=f"intake-{role}", defaults={"is_staff": True}
        )
        user.groups.add(Group.objects.get(name=role))
        users[role] = user.pk
    main = Warehouse.objects.filter(
        is_default=True
    ).first() or Warehouse.objects.create(code="INTAKE", name="Intake", is_default=True)
    second = Warehouse.objects.exclude(pk=main.pk).first() or Warehouse.objects.create(
        code="INTAKE2", name="Intake 2"
    )
    products = []
    for n in range(PRODUCTS):
        product, _ = Product.objects.get_or_create(
            sku=f"INTAKE-{n:03d}",
            defaults={"name": f"Intake {n}", "unit_price": "4.90"},
        )
        products.append(product.pk)
        for where in (main, second):
            item = StockItem.objects.filter(product=product, warehouse=where).first()
            if item is None or item.on_hand - item.allocated < STOCK // 2:
                inventory.stock_receive(
                    product=product,
                    warehouse=where,
                    quantity=STOCK,
                    actor=get_user_model().objects.get(pk=users["manager"]),
                    reference="INTAKE-BENCH",
                )
    return {"users": users, "products": products}


def django_worker(args):
    """Intake through the services until the deadline; returns (orders, failures)."""
    index, seconds, setup = args
    _setup_django()
    from django.contrib.auth import get_user_model

    from inventory.models import Product
    from orders.core import services
    from orders.customer.services import customer_find_or_create
    from orders.money import pricing
    from orders.stock import services as stock
    from orders.verification import services as verification
    from orders.verification.checklist import checklist_keys

    users = {r: get_user_model().objects.get(pk=pk) for r, pk in setup["users"].items()}
    products = list(Product.objects.filter(pk__in=setup["products"]))
    rng = random.Random(index)
    done, failures, deadline = 0, [], time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            customer = customer_find_or_create(
                email=f"intake{rng.randint(1, 50_000)}@example.com",
                name="Intake Customer",
                address="1 Intake Street\n10115 Berlin",
                country="DE",
            )
            order = services.order_place(
                customer=customer,
                channel="phone",
                lines=[
                    pricing.LineInput(product=p, quantity=rng.randint(1, 3))
                    for p in rng.sample(products, 3)
                ],
                actor=users["clerk"],
            )
            order = verification.order_record_first_check(
                order=order, actor=users["clerk"], checked=checklist_keys(order)
            )
            order = verification.order_verify(order=order, actor=users["verifier"])
            stock.order_check_inventory(order=order, actor=users["warehouse"])
            done += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
    return done, failures


RAW_ORDER = """
INSERT INTO orders_order (number, tracking_token, channel, channel_reference, status,
    held_from, shipping_address, shipping_country, billing_address, currency, subtotal,
    discount_total, shipping_total, tax_total, total, amount_held, status_changed_at,
    placed_at, updated_at, customer_id, submission_key, source, external_id)
VALUES (NULL, %s, 'phone', '', 'placed', '', %s, 'DE', %s, 'EUR', 0, 0, 0, 0, 0, 0,
    now(), now(), now(), %s, '', '', '') RETURNING id
"""


# A customer email as the services write it: the rendered message (sizes as the
# real ones), its outbox row, and the fact that it was queued.
RAW_TEXT, RAW_HTML = "x" * 380, "<p>" + "x" * 930 + "</p>"


def raw_email(conn, order_id: int, to: str, kind: str) -> None:
    notification = conn.execute(
        "INSERT INTO orders_notification (order_id, kind, essential, to_email, "
        "subject, body_text, body_html, skipped, created_at) VALUES "
        "(%s, %s, true, %s, 'Your order', %s, %s, false, now()) RETURNING id",
        [order_id, f"raw_{kind}", to, RAW_TEXT, RAW_HTML],
    ).fetchone()[0]
    delivery = conn.execute(
        "INSERT INTO ordersite_outboxmessage (kind, payload, status, attempts, "
        "next_attempt_at, last_error, created_at) VALUES ('raw_email', %s, 'sent', 0, "
        "now(), '', now()) RETURNING id",
        [f'{{"notification_id": {notification}}}'],
    ).fetchone()[0]
    conn.execute(
        "UPDATE orders_notification SET delivery_id = %s WHERE id = %s",
        [delivery, notification],
    )
    conn.execute(
        "INSERT INTO orders_orderevent (order_id, type, from_status, to_status, data, "
        "customer_visible, created_at, actor_kind, integration) VALUES (%s, "
        "'email_queued', '', '', %s, false, now(), 'system', '')",
        [order_id, f'{{"notification_id": {notification}}}'],
    )


def raw_worker(args):
    """The same writes with raw psycopg, one transaction per order."""
    import secrets
    from decimal import Decimal

    import psycopg

    index, seconds, setup, dsn = args
    rng = random.Random(1000 + index)
    done, failures, deadline = 0, [], time.perf_counter() + seconds
    with psycopg.connect(dsn, autocommit=True) as conn:
        prices = dict(
            conn.execute(
                "SELECT id, unit_price FROM inventory_product WHERE id = ANY(%s)",
                [setup["products"]],
            ).fetchall()
        )
        while time.perf_counter() < deadline:
            try:
                with conn.transaction():
                    email = f"raw{rng.randint(1, 50_000)}@example.com"
                    row = conn.execute(
                        "SELECT id, shipping_address FROM orders_customer "
                        "WHERE UPPER(email) = UPPER(%s) ORDER BY id LIMIT 1",
                        [email],
                    ).fetchone()
                    if row is None:
                        row = conn.execute(
                            "INSERT INTO orders_customer (name, email, phone, "
                            "shipping_address, shipping_country, billing_address, "
                            "created_at, notifications_opt_out) VALUES ('Raw', %s, '', "
                            "'1 Raw Street', 'DE', '', now(), false) "
                            "RETURNING id, shipping_address",
                            [email],
                        ).fetchone()
                    customer_id, address = row
                    order_id = conn.execute(
                        RAW_ORDER,
                        [secrets.token_urlsafe(24), address, address, customer_id],
                    ).fetchone()[0]
                    lines = [
                        (p, rng.randint(1, 3)) for p in rng.sample(setup["products"], 3)
                    ]
                    subtotal = sum(prices[p] * q for p, q in lines)
                    tax = (subtotal * Decimal("0.19")).quantize(Decimal("0.01"))
                    line_ids = [
                        conn.execute(
                            "INSERT INTO orders_orderline (order_id, product_id, sku, name, "
                            "quantity, unit_price, line_total, backordered_quantity, "
                            "discount_amount, price_reason, price_source, tax_amount, "
                            "tax_rate) VALUES (%s, %s, 'RAW', 'Raw', %s, %s, %s, 0, 0, '', "
                            "'catalogue', 0, 19) RETURNING id",
                            [order_id, p, q, prices[p], prices[p] * q],
                        ).fetchone()[0]
                        for p, q in lines
                    ]
                    conn.execute(
                        "UPDATE orders_order SET number = 'RAW-' || id, subtotal = %s, "
                        "tax_total = %s, total = %s WHERE id = %s",
                        [subtotal, tax, subtotal + tax, order_id],
                    )
                    for kind in ("placed", "first_check_recorded", "verified"):
                        conn.execute(
                            "INSERT INTO orders_orderevent (order_id, type, from_status, "
                            "to_status, data, customer_visible, created_at, actor_kind, "
                            "integration) VALUES (%s, %s, '', '', '{}', false, now(), "
                            "'system', '')",
                            [order_id, kind],
                        )
                        if kind != "first_check_recorded":
                            raw_email(conn, order_id, email, kind)
                    # Lock the products' stock rows in id order (as the services
                    # do), then take each line from the first row with enough.
                    free = {
                        item: (product, available)
                        for item, product, available in conn.execute(
                            "SELECT id, product_id, on_hand - allocated FROM "
                            "inventory_stockitem WHERE product_id = ANY(%s) "
                            "ORDER BY id FOR UPDATE",
                            [[p for p, _q in lines]],
                        ).fetchall()
                    }
                    for line_id, (product_id, quantity) in zip(
                        line_ids, lines, strict=True
                    ):
                        item = next(
                            i
                            for i, (p, available) in free.items()
                            if p == product_id and available >= quantity
                        )
                        free[item] = (product_id, free[item][1] - quantity)
                        conn.execute(
                            "UPDATE inventory_stockitem SET allocated = allocated + %s "
                            "WHERE id = %s",
                            [quantity, item],
                        )
                        conn.execute(
                            "INSERT INTO inventory_stockmovement (stock_item_id, kind, "
                            "on_hand_delta, allocated_delta, reference, reason, "
                            "created_at, submission_key) VALUES (%s, 'allocation', 0, %s, "
                            "'RAW', '', now(), '')",
                            [item, quantity],
                        )
                        conn.execute(
                            "INSERT INTO orders_orderlineallocation (line_id, "
                            "stock_item_id, quantity) VALUES (%s, %s, %s)",
                            [line_id, item, quantity],
                        )
                    conn.execute(
                        "UPDATE orders_order SET status = 'allocated', "
                        "first_checked_by_id = %s, first_checked_at = now(), "
                        "verified_by_id = %s, verified_at = now(), "
                        "status_changed_at = now() WHERE id = %s",
                        [setup["users"]["clerk"], setup["users"]["verifier"], order_id],
                    )
                    conn.execute(
                        "INSERT INTO orders_orderevent (order_id, type, from_status, "
                        "to_status, data, customer_visible, created_at, actor_kind, "
                        "integration) VALUES (%s, 'allocated', 'verified', 'allocated', "
                        "'{}', false, now(), 'system', '')",
                        [order_id],
                    )
                done += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
    return done, failures


def run(worker, count: int, args: list) -> tuple[float, list[str]]:
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(count) as pool:
        results = pool.map(worker, args)
    elapsed = time.perf_counter() - started
    orders = sum(done for done, _f in results)
    return orders / elapsed, [f for _d, failures in results for f in failures]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    setup = prepare()
    from django.conf import settings
    from django.db import connection

    assert connection.vendor == "postgresql", "intake is measured on PostgreSQL"
    db = settings.DATABASES["default"]
    dsn = (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"dbname={db['NAME']} user={db['USER']}"
        + (f" password={db['PASSWORD']}" if db["PASSWORD"] else "")
    )
    connection.close()  # the workers fork: each opens its own
    print(
        f"intake, {args.seconds:.0f} s per run, 3-line phone orders, {PRODUCTS} products"
    )
    print(
        f"| {'workers':>7} | {'ordersite /s':>12} | {'raw psycopg /s':>14} | {'ratio':>5} | failures |"
    )
    print(f"| {'-' * 6}: | {'-' * 11}: | {'-' * 13}: | {'-' * 4}: | ---: |")
    all_failures = []
    for count in args.workers:
        ours, failed = run(
            django_worker, count, [(i, args.seconds, setup) for i in range(count)]
        )
        raw, raw_failed = run(
            raw_worker, count, [(i, args.seconds, setup, dsn) for i in range(count)]
        )
        all_failures += failed + raw_failed
        print(
            f"| {count:7d} | {ours:12.1f} | {raw:14.1f} | {ours / raw:5.2f} "
            f"| {len(failed)} + {len(raw_failed)} |"
        )
    from io import StringIO

    from django.core.management import call_command

    from inventory.models import StockItem

    oversold = StockItem.objects.filter(allocated__gt=models_f("on_hand")).count()
    out = StringIO()
    try:
        call_command("audit_stock", stdout=out)
        audit = "clean"
    except SystemExit as exc:
        audit = f"mismatches (exit {exc.code})"
    print(
        f"failures: {len(all_failures)}; oversold stock rows: {oversold}; audit_stock: {audit}"
    )
    for failure in sorted(set(all_failures))[:10]:
        print("  ", failure)


def models_f(name):
    from django.db.models import F

    return F(name)


if __name__ == "__main__":
    main()

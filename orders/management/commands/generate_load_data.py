"""Fill a PostgreSQL database with whole order histories for benchmarks, fast.

    DATABASE_URL=postgres://… python manage.py generate_load_data --orders 1000000 [--seed 7] [--chunk 100000]

``seed_demo`` drives every order through the services (consistent, slow);
``generate_orders`` writes bare order rows (fast, no history). This command
writes what the services would have left behind, but straight in SQL: each
chunk of orders is planned in temporary tables (INSERT … SELECT over
``generate_series``, randomness from ``hashint8extended`` of the row id and
``--seed``) and written in one transaction: orders and lines, the timeline
with the exact ``data`` shapes of the ``*.facts`` functions, card payments,
invoices (numbered from ``DocumentSequence``), shipments, line allocations,
goods receipts and the stock ledger, with ``StockItem.on_hand``/``allocated``
moved by the sums of the ledger rows written. Then the tables are analysed.

Orders are placed over the last three years (more of them lately), ids and
``placed_at`` rising together; about 1 % are open (the newest), about 3 % were
cancelled before payment, a few are delivered and the rest completed (about 15
facts each). Every step's timestamp is in the past: an order whose next step
would lie in the future simply has not taken it yet. Staff steps are taken by
``load-clerk-*``, ``load-verifier-*`` and ``load-warehouse-*`` (created, no
password), web and API orders are placed and paid by the system.

Running it again adds orders after the existing ones (ids, numbers, dates,
invoice numbers and receipts continue; products, warehouses, staff and
customers are reused, customers topped up to one per three orders). Their
time runs from the newest existing order to now, so a run right after another
adds mostly open orders. Left out: customer emails (``Notification`` rows and
``email_queued`` facts), discounts, refunds, price lists and conversations.
``-v 2`` prints the time of every statement. Refused under production
settings and on anything but PostgreSQL.
"""

import json
import math
import re
import secrets
import time
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from inventory.models import Warehouse
from orders import demo
from orders.demo_data import CANCEL_REASONS, HOLD_REASONS
from orders.events.timeline import CUSTOMER_VISIBLE
from orders.permissions import Role

# The shape of the data.
YEARS = 3
GROWTH = 3.0  # orders per day now / orders per day three years ago
OPEN_SHARE = 0.01  # the newest orders, still being worked on
CANCEL_SHARE = 0.03  # cancelled before payment
BACKORDER_SHARE = 0.03  # waited for stock once before allocation
FREE_SHIPPING_FROM = Decimal("50.00")
SHIPPING = Decimal("4.90")
SUPPLIERS = ["Roastery Ltd", "Kaffee Großhandel GmbH", "Nordic Kitchenware AB"]
STAFF = {
    Role.CLERK: ["load-clerk-1", "load-clerk-2", "load-clerk-3"],
    Role.VERIFIER: ["load-verifier-1", "load-verifier-2"],
    Role.WAREHOUSE: ["load-warehouse-1", "load-warehouse-2", "load-warehouse-3"],
}
WAREHOUSES = [
    ("main", "Main warehouse, Berlin"),
    ("north", "North depot, Hamburg"),
    ("south", "South depot, Munich"),
    ("west", "West depot, Cologne"),
]
# Where customers live; a country is used only where every tax class has a rate.
GEOGRAPHY = {
    "DE": (
        55,
        "+49",
        [
            ("10115", "Berlin"),
            ("20095", "Hamburg"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("60311", "Frankfurt am Main"),
            ("70173", "Stuttgart"),
            ("04109", "Leipzig"),
            ("28195", "Bremen"),
        ],
    ),
    "AT": (15, "+43", [("1010", "Wien"), ("8010", "Graz"), ("5020", "Salzburg")]),
    "FR": (10, "+33", [("75001", "Paris"), ("69001", "Lyon"), ("13001", "Marseille")]),
    "NL": (
        12,
        "+31",
        [("1012", "Amsterdam"), ("3011", "Rotterdam"), ("3511", "Utrecht")],
    ),
    "CH": (8, "+41", [("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel")]),
}
FIRST = (
    "Anna Ben Clara David Eva Felix Greta Hugo Ida Jonas Karla Leon Mia Noah Olga "
    "Paul Quirin Rosa Samuel Tara Ulla Viktor Wanda Xaver Yara Zoe Emil Lina Finn "
    "Marie Lukas Sophie Jan Lea Tim Hannah Max Emma Elias Nora"
).split()
LAST = (
    "Becker Schulz Novak Rossi Dubois Jensen Kowalski Moreau Weber Fischer Wagner "
    "Hoffmann Schäfer Koch Richter Klein Wolf Neumann Schwarz Zimmermann Braun "
    "Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Bakker "
    "Visser Martin Bernard Huber Gruber Keller Steiner Brunner Meyer"
).split()
STREETS = (
    "Hauptstraße|Bahnhofstraße|Gartenweg|Lindenallee|Marktplatz|Schillerstraße|"
    "Rosenweg|Am Hafen|Goethestraße|Bergstraße|Kirchweg|Mühlenweg|Parkstraße|Ringstraße"
).split("|")
ADJECTIVES = (
    "Organic|Dark roast|Light roast|Single origin|Decaf|Classic|Premium|Compact|"
    "Travel|Barista|Stainless|Ceramic|Glass|Bamboo|Vintage|Smart"
).split("|")
NOUNS = (
    "espresso beans|filter coffee|green tea|black tea|herbal tea|hand grinder|"
    "electric grinder|pour-over dripper|paper filters|glass carafe|milk frother|"
    "tamper|knock box|espresso cups|latte glasses|travel mug|thermos|kitchen scale|"
    "gooseneck kettle|cold brew bottle|descaler|cleaning tablets|water filter|"
    "biscotti|cantuccini|vanilla syrup|caramel syrup|moka pot|french press|"
    "cocoa powder"
).split("|")
SIZES = "250 g|500 g|1 kg|set of 2|set of 4|0.6 l|1 l|100 pieces|".split("|")
ROLE_FOR = {Role.CLERK: 0, Role.VERIFIER: 1, Role.WAREHOUSE: 2}

# Salts of the per-row random numbers: one per decision, never shared.
(
    R_PLACED,
    R_CHANNEL,
    R_LINES,
    R_CUSTOMER,
    R_LEVEL,
    R_BRANCH,
    R_CANCEL_AT,
    R_BACKORDER,
    R_AUTO,
    R_D1,
    R_D2,
    R_DBO,
    R_D3,
    R_D4,
    R_D5,
    R_D6,
    R_D7,
    R_D8,
    R_D9,
    R_DH,
    R_DC,
    R_CHECKER,
    R_VERIFIER,
    R_ALLOCATOR,
    R_WORKER,
    R_CLERK,
    R_REASON,
    R_P_START,
    R_P_STRIDE,
    R_QTY,
    R_WAREHOUSE,
    R_CARRIER,
    R_TRACKING,
    R_SHIP_BY,
    R_DELIVERY,
    R_REFERENCE,
    R_FIRST,
    R_LAST,
    R_STREET,
    R_HOUSE,
    R_COUNTRY,
    R_CITY,
    R_PHONE,
    R_OPT_OUT,
    R_CREATED,
    R_PRICE,
    R_TAX,
    R_NAME,
    R_LOCATION,
    R_RECEIPT,
) = range(1, 51)

MASK53 = (1 << 53) - 1
TWO53 = float(1 << 53)
# The happy path's states by level (the first check leaves the order placed).
LEVEL_STATE = ["placed" if step == "checked" else str(step) for step in demo.PATH]


def lit(value) -> str:
    """A SQL literal (strings quoted, standard_conforming_strings is on)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def text_array(values) -> str:
    return "ARRAY[" + ", ".join(lit(v) for v in values) + "]::text[]"


def int_array(values) -> str:
    return "ARRAY[" + ", ".join(str(int(v)) for v in values) + "]::int[]"


def padded(expr: str) -> str:
    """``f"{n:06d}"`` in SQL: at least six digits, never cut."""
    return f"(CASE WHEN ({expr}) < 1000000 THEN lpad(({expr})::text, 6, '0') ELSE ({expr})::text END)"


def pick(r: str, weighted: list[tuple[str, float]]) -> str:
    """A CASE choosing a SQL expression by the uniform number ``r`` and weights."""
    total = sum(w for _v, w in weighted)
    parts, acc = [], 0.0
    for value, weight in weighted[:-1]:
        acc += weight / total
        parts.append(f"WHEN {r} < {acc!r} THEN {value}")
    return f"(CASE {' '.join(parts)} ELSE {weighted[-1][0]} END)"


class Command(BaseCommand):
    help = (
        "Fill a PostgreSQL database with realistic bulk orders (with timelines, "
        "payments, invoices, shipments and a consistent stock ledger) for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders", type=int, required=True, help="How many orders to add."
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--chunk", type=int, default=100_000, help="Orders per transaction."
        )
        parser.add_argument(
            "--products",
            type=int,
            default=2000,
            help="Top the catalogue up to this many products.",
        )
        parser.add_argument(
            "--vacuum",
            action="store_true",
            help="VACUUM (ANALYZE) the tables at the end instead of ANALYZE.",
        )

    # ------------------------------------------------------------------------------
    # Plumbing
    # ------------------------------------------------------------------------------
    def sql(self, statement: str) -> int:
        self.check_columns(statement)
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(statement)
            if self.verbosity >= 2:
                took = time.monotonic() - t0
                self.say(f"  {took:7.2f} s  {' '.join(statement.split())[:100]}")
            return cursor.rowcount

    def value(self, statement: str):
        with connection.cursor() as cursor:
            cursor.execute(statement)
            row = cursor.fetchone()
            return row[0] if row else None

    def rows(self, statement: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall()

    def check_columns(self, statement: str) -> None:
        """Refuse an INSERT that leaves out a column the table requires (a new field)."""
        found = re.match(r"\s*INSERT INTO (\w+)\s*\(([^)]*)\)", statement)
        if not found or found[1] in self.checked:
            return
        table, given = found[1], {c.strip() for c in found[2].split(",")}
        missing = {
            name
            for (name,) in self.rows(
                "SELECT column_name FROM information_schema.columns "
                f"WHERE table_schema = current_schema() AND table_name = {lit(table)} "
                "AND is_nullable = 'NO' AND column_default IS NULL "
                "AND is_identity = 'NO' AND is_generated = 'NEVER'"
            )
        } - given
        if missing:
            raise CommandError(
                f"{table} has required columns generate_load_data does not write: "
                f"{', '.join(sorted(missing))}. Teach the command what they hold."
            )
        self.checked.add(table)

    def has_column(self, table: str, column: str) -> bool:
        return bool(
            self.value(
                "SELECT COUNT(*) FROM information_schema.columns WHERE "
                f"table_schema = current_schema() AND table_name = {lit(table)} "
                f"AND column_name = {lit(column)}"
            )
        )

    def r(self, key: str, salt: int) -> str:
        """A uniform number in [0, 1) from the row key, the salt and ``--seed``."""
        return (
            f"((hashint8extended(({key})::bigint, {self.seed * 1000 + salt}) >> 11 "
            f"& {MASK53})::float8 / {TWO53!r})"
        )

    def reserve(self, table: str, count: int) -> int:
        """Take ``count`` ids from the table's sequence; returns the first."""
        seq = self.value(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        top = self.value(
            f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), "
            f"(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {seq}))"
        )
        if count > 0:
            self.value(f"SELECT setval({lit(seq)}, {top + count})")
        return top + 1

    def count(self, table: str, n: int) -> None:
        self.made[table] = self.made.get(table, 0) + max(n, 0)

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # ------------------------------------------------------------------------------
    # The command
    # ------------------------------------------------------------------------------
    def handle(self, *args, orders, seed, chunk, products, vacuum, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "generate_load_data refuses to run under production settings."
            )
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_load_data needs PostgreSQL: set DATABASE_URL=postgres://… "
                f"(this database is {connection.vendor})."
            )
        if orders < 1 or chunk < 1 or products < 1:
            raise CommandError("--orders, --chunk and --products must be at least 1.")
        self.seed, self.n, self.chunk = seed, orders, chunk
        self.verbosity = options.get("verbosity", 1)
        self.made: dict[str, int] = {}
        self.checked: set[str] = set()
        self.secret = secrets.token_hex(16)  # tracking tokens stay unguessable
        started = time.monotonic()
        self.session()
        try:
            self.run(started, orders, chunk, products, vacuum)
        finally:
            self.end_session()

    def run(self, started, orders, chunk, products, vacuum) -> None:
        # Columns added since this command was written, when the schema has them.
        self.order_extras = {}
        if self.has_column("orders_order", "amount_held"):
            # What the payments hold: the captured total of a paid order.
            self.order_extras["amount_held"] = (
                "CASE WHEN lvl >= 4 THEN total ELSE 0 END"
            )
        for statement in self.inserts():
            self.check_columns(statement[1])
        self.now = timezone.now().replace(microsecond=0)
        self.now_e = self.now.timestamp()
        self.window()
        self.staff = self.ensure_staff()
        self.warehouses = self.ensure_warehouses()
        self.ensure_products(products)
        self.ensure_stock_items()
        self.order_base = self.reserve("orders_order", orders)
        self.ensure_customers()
        setup = time.monotonic() - started
        self.say(
            f"Set up in {setup:.1f} s: {self.p} products, {len(self.warehouses)} warehouses, "
            f"{self.pool} customers to choose from; orders from "
            f"{timezone.localtime(self.start_at):%Y-%m-%d %H:%M} to "
            f"{timezone.localtime(self.now):%Y-%m-%d %H:%M}."
        )
        done = 0
        chunks = math.ceil(orders / chunk)
        for number, c0 in enumerate(range(0, orders, chunk), 1):
            c1 = min(orders, c0 + chunk)
            t0 = time.monotonic()
            with transaction.atomic():
                rows = self.write_chunk(c0, c1)
            done = c1
            took = time.monotonic() - t0
            total = time.monotonic() - started
            self.say(
                f"chunk {number}/{chunks}: orders {c0 + 1:,}–{c1:,} in {took:.1f} s "
                f"({(c1 - c0) / took:,.0f} orders/s, {rows / took:,.0f} rows/s); "
                f"{done:,}/{orders:,} after {total:.0f} s"
            )
        t0 = time.monotonic()
        self.analyze(vacuum)
        analyzed = time.monotonic() - t0
        elapsed = time.monotonic() - started
        rows = sum(self.made.values())
        self.say(f"{'VACUUM ANALYZE' if vacuum else 'ANALYZE'} took {analyzed:.1f} s.")
        self.say("Rows written:")
        for table, n in sorted(self.made.items(), key=lambda kv: -kv[1]):
            self.say(f"  {table:32} {n:>12,}")
        self.say(
            self.style.SUCCESS(
                f"Generated {orders:,} orders ({rows:,} rows) in {elapsed:.1f} s: "
                f"{orders / elapsed:,.0f} orders/s, {rows / elapsed:,.0f} rows/s."
            )
        )

    def session(self) -> None:
        """Session settings for bulk writing (this connection only)."""
        self.sql("SET synchronous_commit = off")
        self.sql("SET work_mem = '256MB'")
        self.sql("SET maintenance_work_mem = '512MB'")
        self.sql("SET jit = off")
        try:
            with transaction.atomic():
                self.sql("SET temp_buffers = '1GB'")
        except DatabaseError:
            pass  # this session already used temporary tables: keep its size

    def end_session(self) -> None:
        """Put the connection back as it was (it may serve more, in tests)."""
        self.sql("DROP TABLE IF EXISTS lp, ltax, lw, ls, lgeo, lc")
        for name in ("synchronous_commit", "work_mem", "maintenance_work_mem", "jit"):
            self.sql(f"RESET {name}")

    def window(self) -> None:
        """When the new orders are placed: after the newest order, up to now."""
        three_years = self.now_e - YEARS * 365.25 * 86400
        last = self.value("SELECT EXTRACT(EPOCH FROM MAX(placed_at)) FROM orders_order")
        start = three_years if last is None else max(three_years, float(last) + 0.001)
        room = self.now_e - start
        if room < 1:
            raise CommandError(
                "The newest order is from now: there is no room before now."
            )
        if room < 30 * 86400:
            self.say(
                self.style.WARNING(
                    f"The newest existing order is recent: the new orders fit into "
                    f"{room / 86400:.2f} days before now, so most will still be open "
                    "(no step of an order is ever dated in the future)."
                )
            )
        self.start_e, self.span = start, room - min(120.0, room / 10)
        self.start_at = datetime.fromtimestamp(start, tz=UTC)

    def placed_e(self, i: str, order_id: str) -> str:
        """Epoch seconds order ``i`` (0-based in this run) is placed at: rising, denser lately."""
        u = f"((({i}) + 0.1 + 0.8 * {self.r(order_id, R_PLACED)}) / {self.n})"
        return (
            f"({self.start_e!r} + {self.span!r} * ln(1 + {u} * {GROWTH - 1!r}) "
            f"/ {math.log(GROWTH)!r})"
        )

    # ------------------------------------------------------------------------------
    # What the orders need: staff, warehouses, products, stock rows, customers
    # ------------------------------------------------------------------------------
    def ensure_staff(self) -> dict[str, list[int]]:
        User = get_user_model()
        staff = {}
        for role, names in STAFF.items():
            group = Group.objects.filter(name=role).first()
            ids = []
            for name in names:
                user = User.objects.filter(username=name).first()
                if user is None:
                    user = User(
                        username=name,
                        email=f"{name}@ordersite.local",
                        is_staff=True,
                        first_name=name.split("-")[1].capitalize(),
                        last_name=f"Load {name.rsplit('-', 1)[1]}",
                    )
                    user.set_unusable_password()
                    user.save()
                    self.count("auth_user", 1)
                if group is not None:
                    user.groups.add(group)
                ids.append(user.pk)
            staff[role] = ids
        return staff

    def ensure_warehouses(self) -> list[tuple[int, str]]:
        active = list(
            Warehouse.objects.filter(active=True).order_by("-is_default", "code")
        )
        taken = set(Warehouse.objects.values_list("code", flat=True))
        has_default = Warehouse.objects.filter(is_default=True).exists()
        for code, name in WAREHOUSES:
            if len(active) >= 3:
                break
            if code in taken:
                continue
            active.append(
                Warehouse.objects.create(
                    code=code, name=name, is_default=not has_default
                )
            )
            self.count("inventory_warehouse", 1)
            has_default = True
        active.sort(key=lambda w: (not w.is_default, w.code))
        return [(w.pk, w.code) for w in active[:3]]

    def ensure_products(self, target: int) -> None:
        have = self.value(
            "SELECT COUNT(*) FROM inventory_product WHERE active AND unit_price > 0"
        )
        need = max(0, target - have)
        if need:
            first = 1 + self.value(
                "SELECT COALESCE(MAX(substring(sku FROM '^LD-([0-9]+)$')::int), 0) "
                "FROM inventory_product WHERE sku ~ '^LD-[0-9]+$'"
            )
            key = "n + 7000000"
            adjective = f"({text_array(ADJECTIVES)})[1 + floor({self.r(key, R_NAME)} * {len(ADJECTIVES)})::int]"
            noun = f"({text_array(NOUNS)})[1 + floor({self.r(key + ' + 1', R_NAME)} * {len(NOUNS)})::int]"
            size = f"({text_array(SIZES)})[1 + floor({self.r(key + ' + 2', R_NAME)} * {len(SIZES)})::int]"
            price = f"(floor(exp(ln(3) + {self.r(key, R_PRICE)} * ln(100))) + 0.90)::numeric(12, 2)"
            tax = pick(
                self.r(key, R_TAX),
                [("'standard'", 75), ("'reduced'", 20), ("'zero'", 5)],
            )
            created = lit(self.start_at.isoformat())
            n = self.sql(
                f"""
                INSERT INTO inventory_product
                    (sku, name, description, unit_price, tax_class_id, active,
                     returnable, category, created_at, updated_at)
                SELECT 'LD-' || lpad(n::text, 5, '0'), name,
                       name || ', from the load-test catalogue.', price, tax, TRUE,
                       {self.r(key, R_NAME + 100)} > 0.05, category,
                       {created}::timestamptz - interval '30 days',
                       {created}::timestamptz - interval '30 days'
                FROM (
                    SELECT n, initcap(left({adjective}, 1)) || substr({adjective}, 2)
                              || ' ' || lower({noun})
                              || CASE WHEN {size} = '' THEN '' ELSE ', ' || {size} END AS name,
                           initcap({noun}) AS category,
                           {price} AS price, {tax} AS tax
                    FROM generate_series({first}, {first + need - 1}) AS n
                ) AS p
                ORDER BY n
                """
            )
            self.count("inventory_product", n)
        # The pool orders choose from: active, priced, in id order (the first are
        # the best sellers), and only with a tax class every used country taxes.
        self.sql("DROP TABLE IF EXISTS lp")
        self.sql(
            """
            CREATE TEMP TABLE lp AS
            SELECT (ROW_NUMBER() OVER (ORDER BY id) - 1)::int AS k, id, sku, name,
                   unit_price AS price, tax_class_id AS tax_class
            FROM inventory_product WHERE active AND unit_price > 0
            """
        )
        self.sql("CREATE UNIQUE INDEX ON lp (k)")
        self.p = self.value("SELECT COUNT(*) FROM lp")
        classes = [row[0] for row in self.rows("SELECT DISTINCT tax_class FROM lp")]
        rates = self.rows("SELECT tax_class_id, country, rate FROM orders_taxrate")
        by_country: dict[str, dict[str, Decimal]] = {}
        for tax_class, country, rate in rates:
            by_country.setdefault(country, {})[tax_class] = rate
        self.countries = sorted(
            c
            for c, known in by_country.items()
            if "standard" in known and all(t in known for t in classes)
        )
        if not self.countries:
            raise CommandError(
                "No country has a tax rate for every tax class of the products; "
                "add tax rates in the admin."
            )
        self.sql("DROP TABLE IF EXISTS ltax")
        self.sql(
            "CREATE TEMP TABLE ltax (tax_class text, country text, rate numeric(6, 4), "
            "rate_text text, percent text, PRIMARY KEY (tax_class, country))"
        )
        values = []
        for country in self.countries:
            for tax_class, rate in by_country[country].items():
                percent = f"{rate * 100:.2f}".rstrip("0").rstrip(".") + " %"
                values.append(
                    f"({lit(tax_class)}, {lit(country)}, {rate}, {lit(str(rate))}, {lit(percent)})"
                )
        self.sql(f"INSERT INTO ltax VALUES {', '.join(values)}")
        self.sql("ANALYZE lp")
        self.sql("ANALYZE ltax")

    def ensure_stock_items(self) -> None:
        self.sql("DROP TABLE IF EXISTS lw")
        self.sql("CREATE TEMP TABLE lw (wk int PRIMARY KEY, id bigint, code text)")
        self.sql(
            "INSERT INTO lw VALUES "
            + ", ".join(
                f"({k}, {pk}, {lit(code)})"
                for k, (pk, code) in enumerate(self.warehouses)
            )
        )
        key = "p.id * 16 + w.wk"
        location = (
            f"chr(65 + floor({self.r(key, R_LOCATION)} * 8)::int) || '-' || "
            f"lpad((1 + floor({self.r(key, R_LOCATION + 100)} * 20))::int::text, 2, '0') "
            f"|| '-' || (1 + floor({self.r(key, R_LOCATION + 200)} * 4))::int"
        )
        n = self.sql(
            f"""
            INSERT INTO inventory_stockitem
                (product_id, warehouse_id, on_hand, allocated, reorder_point,
                 reorder_quantity, location, updated_at)
            SELECT p.id, w.id, 0, 0,
                   CASE WHEN w.wk = 0 THEN 20 ELSE 10 END,
                   CASE WHEN w.wk = 0 THEN 200 ELSE 100 END,
                   {location}, {lit(self.start_at.isoformat())}::timestamptz
            FROM lp AS p CROSS JOIN lw AS w
            ORDER BY p.id, w.wk
            ON CONFLICT (product_id, warehouse_id) DO NOTHING
            """
        )
        self.count("inventory_stockitem", n)
        self.sql("DROP TABLE IF EXISTS ls")
        self.sql(
            """
            CREATE TEMP TABLE ls AS
            SELECT s.product_id, w.wk, s.id AS stock_item_id, w.code
            FROM inventory_stockitem AS s JOIN lw AS w ON w.id = s.warehouse_id
            WHERE s.product_id IN (SELECT id FROM lp)
            """
        )
        self.sql("CREATE UNIQUE INDEX ON ls (product_id, wk)")
        self.sql("ANALYZE lw")
        self.sql("ANALYZE ls")

    def ensure_customers(self) -> None:
        """Top customers up to one per three orders; the pool is every customer in a taxed country."""
        countries = [c for c in self.countries]
        have_orders = self.value("SELECT COUNT(*) FROM orders_order")
        have = self.value(
            f"SELECT COUNT(*) FROM orders_customer WHERE shipping_country IN ({', '.join(lit(c) for c in countries)})"
        )
        self.new_customers = max(0, math.ceil((have_orders + self.n) / 3) - have)
        if have == 0 and self.new_customers == 0:
            self.new_customers = 1
        nc = self.new_customers
        if nc:
            first_n = 1 + self.value(
                "SELECT COALESCE(MAX(substring(email FROM '^load([0-9]+)@example\\.com$')::bigint), 0) "
                "FROM orders_customer WHERE email ~ '^load[0-9]+@example\\.com$'"
            )
            # Customer j orders first with order i_j = floor(j * N / nc); it is
            # created a little before that.
            # Customer j places its first order with order i_j = floor(j * N / nc)
            # of this run, and is created a little before it.
            i_j = f"floor(j::numeric * {self.n} / {nc})::bigint"
            key = f"(j + {first_n}) * 4 + 1"
            weights = [(lit(c), GEOGRAPHY.get(c, (5,))[0]) for c in countries]
            self.sql("DROP TABLE IF EXISTS lgeo")
            self.sql(
                "CREATE TEMP TABLE lgeo (country text PRIMARY KEY, prefix text, "
                "postcodes text[], cities text[])"
            )
            rows = []
            for c in countries:
                _weight, prefix, places = GEOGRAPHY.get(c, (5, "+00", []))
                places = places or [("1000", "Capital")]
                rows.append(
                    f"({lit(c)}, {lit(prefix)}, {text_array([pc for pc, _ in places])}, "
                    f"{text_array([city for _, city in places])})"
                )
            self.sql(f"INSERT INTO lgeo VALUES {', '.join(rows)}")
            r = self.r
            n = self.sql(
                f"""
                INSERT INTO orders_customer
                    (name, email, phone, group_id, shipping_address, shipping_country,
                     billing_address, notifications_opt_out, time_zone, created_at)
                SELECT s.first || ' ' || s.last, 'load' || (s.j + {first_n}) || '@example.com',
                       g.prefix || ' ' || s.phone, NULL,
                       s.first || ' ' || s.last || E'\\n' || s.street || E'\\n'
                           || g.postcodes[1 + floor(s.rc * array_length(g.cities, 1))::int]
                           || ' ' || g.cities[1 + floor(s.rc * array_length(g.cities, 1))::int],
                       s.country, '', s.opt_out, '', to_timestamp(s.created_e)
                FROM (
                    SELECT j,
                           ({text_array(FIRST)})[1 + floor({r(key, R_FIRST)} * {len(FIRST)})::int] AS first,
                           ({text_array(LAST)})[1 + floor({r(key, R_LAST)} * {len(LAST)})::int] AS last,
                           {pick(r(key, R_COUNTRY), weights)} AS country,
                           {r(key, R_CITY)} AS rc,
                           (10 + floor({r(key, R_PHONE)} * 90))::int || ' '
                               || (1000000 + floor({r(key, R_PHONE + 100)} * 9000000))::int AS phone,
                           ({text_array(STREETS)})[1 + floor({r(key, R_STREET)} * {len(STREETS)})::int]
                               || ' ' || (1 + floor({r(key, R_HOUSE)} * 140))::int AS street,
                           {r(key, R_OPT_OUT)} < 0.05 AS opt_out,
                           {self.placed_e(i_j, f"{self.order_base} + {i_j}")}
                               - 60 - {r(key, R_CREATED)} * 1800 AS created_e
                    FROM generate_series(0, {nc - 1}) AS j
                ) AS s
                JOIN lgeo AS g ON g.country = s.country
                ORDER BY s.j
                """
            )
            self.count("orders_customer", n)
        self.sql("DROP TABLE IF EXISTS lc")
        self.sql(
            f"""
            CREATE TEMP TABLE lc AS
            SELECT (ROW_NUMBER() OVER (ORDER BY id) - 1)::bigint AS k, id, name, email,
                   shipping_address, shipping_country, billing_address
            FROM orders_customer
            WHERE shipping_country IN ({", ".join(lit(c) for c in countries)})
            """
        )
        self.sql("CREATE UNIQUE INDEX ON lc (k)")
        self.sql("ANALYZE lc")
        self.pool = self.value("SELECT COUNT(*) FROM lc")
        self.old_customers = self.pool - nc

    # ------------------------------------------------------------------------------
    # One chunk of orders, in one transaction
    # ------------------------------------------------------------------------------
    def write_chunk(self, c0: int, c1: int) -> int:
        written = 0
        self.plan_orders(c0, c1)
        n_lines, n_paid, n_shipped = self.rows(
            "SELECT COALESCE(SUM(nl), 0), COUNT(*) FILTER (WHERE lvl >= 4), "
            "COUNT(*) FILTER (WHERE lvl >= 7) FROM lo"
        )[0]
        line_base = self.reserve("orders_orderline", n_lines)
        pay_base = self.reserve("orders_payment", n_paid)
        invoice_base = self.reserve("orders_invoice", n_paid)
        ship_base = self.reserve("orders_shipment", n_shipped)
        self.plan_lines(line_base)
        if self.value("SELECT COUNT(*) FROM lt") != n_lines:
            raise CommandError(
                "Some lines found no stock row or tax rate; nothing was written."
            )
        self.plan_totals(pay_base, invoice_base, ship_base)
        for table, statement in self.inserts():
            n = self.sql(statement)
            self.count(table, n)
            written += n
        written += self.write_stock()
        return written

    def plan_orders(self, c0: int, c1: int) -> None:
        """``lo``: each order of the chunk, where it got to and when each step happened."""
        r, n = self.r, self.n
        open_count = max(0, round(n * OPEN_SHARE))
        nc, old = self.new_customers, self.old_customers
        clerks, verifiers = self.staff[Role.CLERK], self.staff[Role.VERIFIER]
        workers = self.staff[Role.WAREHOUSE]
        auto_days = settings.ORDERS_AUTO_COMPLETE_DAYS
        auto_share = 0.7 if auto_days > 0 else 0.0
        tz = lit(settings.TIME_ZONE)

        def staff_pick(ids: list[int], salt: int) -> str:
            return f"({int_array(ids)})[1 + floor({r('s.id', salt)} * {len(ids)})::int]"

        level_offsets = " ".join(
            f"WHEN {k} THEN o{k}" for k in range(3, 10)
        )  # 0-2 handled below
        scaled_level = " + ".join(
            f"(lvl_t >= {k} AND o{k} * factor <= age)::int" for k in range(1, 10)
        )
        at = {
            k: f"CASE WHEN lvl >= {k} THEN to_timestamp(placed_e + o{k} * factor) END"
            for k in range(1, 10)
        }
        state_of = " ".join(
            f"WHEN {k} THEN {lit(s)}" for k, s in enumerate(LEVEL_STATE) if k != 2
        )
        changed = " ".join(f"WHEN {k} THEN t{k}" for k in (3, 5, 6, 7, 8, 9))
        self.sql(
            f"""
            CREATE TEMP TABLE lo ON COMMIT DROP AS
            WITH a AS MATERIALIZED (
                SELECT gs.i, {self.order_base} + gs.i AS id,
                       ({n} - 1 - gs.i) < {open_count} AS is_open,
                       ({n} - 1 - gs.i)::float8 / GREATEST({open_count}, 1) AS recency,
                       ((gs.i + 1) * {nc}::bigint + {n} - 1) / {n} AS intro,
                       (gs.i * {nc}::bigint + {n} - 1) / {n} AS intro_before
                FROM generate_series({c0}, {c1 - 1}) AS gs(i)
            ), b AS MATERIALIZED (
                SELECT a.*,
                       {self.placed_e("a.i", "a.id")} AS placed_e,
                       LEAST({self.p}, {pick(r("id", R_LINES), [("1", 15), ("2", 22), ("3", 28), ("4", 20), ("5", 15)])}) AS nl,
                       {pick(r("id", R_CHANNEL), [("'web'", 60), ("'api'", 15), ("'phone'", 15), ("'email'", 10)])}::text AS channel,
                       CASE WHEN intro > intro_before THEN {old} + intro - 1
                            ELSE floor({r("id", R_CUSTOMER)} * ({old} + intro))::bigint END AS cust_k,
                       LEAST(7, floor((recency * 0.6 + {r("id", R_LEVEL)} * 0.4) * 8))::int AS lvl_o,
                       {r("id", R_BRANCH)} AS rb,
                       {pick(r("id", R_CANCEL_AT), [("0", 35), ("1", 10), ("2", 20), ("3", 35)])} AS lvl_c,
                       {r("id", R_BACKORDER)} < {BACKORDER_SHARE} AS bo_n,
                       {r("id", R_AUTO)} < {auto_share} AS auto_c
                FROM a
            ), c AS MATERIALIZED (
                SELECT b.*,
                       CASE WHEN is_open THEN
                                CASE WHEN rb < 0.10 AND lvl_o >= 2 THEN 2 ELSE lvl_o END
                            WHEN rb < {CANCEL_SHARE} THEN lvl_c
                            ELSE 9 END AS lvl_t,
                       CASE WHEN is_open THEN rb < 0.10 AND lvl_o >= 2
                            ELSE bo_n AND (rb >= {CANCEL_SHARE} OR lvl_c >= 2) END AS bo,
                       is_open AND rb >= 0.10 AND rb < 0.18 AND lvl_o <= 6 AS held,
                       NOT is_open AND rb < {CANCEL_SHARE} AS canc
                FROM b
            ), d AS MATERIALIZED (
                SELECT c.*,
                       600 + {r("id", R_D1)} * 28800 AS o1,
                       600 + {r("id", R_D1)} * 28800 + 300 + {r("id", R_D2)} * 21600 AS o2,
                       60 + {r("id", R_DBO)} * 540 AS dbo,
                       CASE WHEN bo THEN 172800 + {r("id", R_D3)} * 691200
                            ELSE 300 + {r("id", R_D3)} * 14400 END AS d3,
                       60 + power({r("id", R_D4)}, 3) * 172800 AS d4,
                       600 + {r("id", R_D5)} * 72000 AS d5,
                       300 + {r("id", R_D6)} * 10800 AS d6,
                       1800 + {r("id", R_D7)} * 36000 AS d7,
                       86400 + {r("id", R_D8)} * 259200 AS d8,
                       CASE WHEN auto_c THEN {auto_days * 86400} + {r("id", R_D9)} * 3600
                            ELSE 86400 + {r("id", R_D9)} * 777600 END AS d9,
                       600 + {r("id", R_DH)} * 86400 AS dh,
                       3600 + {r("id", R_DC)} * 172800 AS dc
                FROM c
            ), e AS MATERIALIZED (
                SELECT d.*, o2 + dbo AS obo,
                       CASE WHEN bo THEN o2 + dbo ELSE o2 END + d3 AS o3
                FROM d
            ), f AS MATERIALIZED (
                SELECT e.*, o3 + d4 AS o4, o3 + d4 + d5 AS o5, o3 + d4 + d5 + d6 AS o6,
                       o3 + d4 + d5 + d6 + d7 AS o7, o3 + d4 + d5 + d6 + d7 + d8 AS o8,
                       o3 + d4 + d5 + d6 + d7 + d8 + d9 AS o9
                FROM e
            ), g AS MATERIALIZED (
                SELECT f.*,
                       CASE lvl_t WHEN 0 THEN 0 WHEN 1 THEN o1
                            WHEN 2 THEN CASE WHEN bo THEN obo ELSE o2 END
                            {level_offsets} END AS ostep,
                       {self.now_e!r} - placed_e AS age
                FROM f
            ), h AS MATERIALIZED (
                SELECT g.*,
                       CASE WHEN is_open AND ostep + CASE WHEN held THEN dh ELSE 0 END > 0
                            THEN LEAST(1, GREATEST(0, (age - 60) / (ostep + CASE WHEN held THEN dh ELSE 0 END)))
                            ELSE 1 END AS factor
                FROM g
            ), k AS MATERIALIZED (
                SELECT h.*, {scaled_level} AS lvl FROM h
            ), m AS MATERIALIZED (
                SELECT k.*,
                       bo AND lvl >= 2 AND obo * factor <= age AS bo_seen,
                       canc AND lvl = lvl_t AND (ostep + dc) * factor <= age AS canc_eff
                FROM k
            ), s AS MATERIALIZED (
                SELECT m.*,
                       CASE lvl WHEN 2 THEN CASE WHEN bo_seen THEN 'backordered' ELSE 'verified' END
                            {state_of} END AS base,
                       to_timestamp(placed_e) AS placed_at,
                       {at[1]} AS t1, {at[2]} AS t2, {at[3]} AS t3, {at[4]} AS t4,
                       {at[5]} AS t5, {at[6]} AS t6, {at[7]} AS t7, {at[8]} AS t8,
                       {at[9]} AS t9,
                       CASE WHEN bo_seen THEN to_timestamp(placed_e + obo * factor) END AS tbo,
                       CASE WHEN held THEN to_timestamp(placed_e + (ostep + dh) * factor) END AS th,
                       CASE WHEN canc_eff THEN to_timestamp(placed_e + (ostep + dc) * factor) END AS tc
                FROM m
            )
            SELECT s.i, s.id, s.nl, s.channel, s.lvl, s.bo_seen, s.held, s.canc_eff, s.auto_c,
                   s.placed_at, s.t1, s.t2, s.t3, s.t4, s.t4 + interval '3 seconds' AS paid_at,
                   s.t5, s.t6, s.t7, s.t8, s.t9, s.tbo, s.th, s.tc, s.base,
                   CASE WHEN s.canc_eff THEN 'cancelled' WHEN s.held THEN 'on_hold'
                        ELSE s.base END AS state,
                   CASE WHEN s.held THEN s.base ELSE '' END AS held_from,
                   CASE WHEN s.canc_eff THEN s.tc WHEN s.held THEN s.th
                        ELSE CASE s.lvl WHEN 2 THEN COALESCE(s.tbo, s.t2)
                                        WHEN 4 THEN s.t4 + interval '3 seconds'
                                        {changed} ELSE s.placed_at END END AS changed_at,
                   CASE WHEN s.canc_eff THEN s.tc WHEN s.held THEN s.th
                        ELSE CASE s.lvl WHEN 1 THEN s.t1 WHEN 2 THEN COALESCE(s.tbo, s.t2)
                                        WHEN 4 THEN s.t4 + interval '3 seconds'
                                        {changed} ELSE s.placed_at END END AS last_at,
                   'ORD-' || {padded("s.id")} AS number,
                   translate(encode(substring(sha256(convert_to({lit(self.secret)} || ':' || s.id, 'UTF8')) FROM 1 FOR 24), 'base64'), '+/', '-_') AS token,
                   upper(s.channel) || '-' || (10000 + floor({r("s.id", R_REFERENCE)} * 90000))::int AS channel_ref,
                   s.channel IN ('phone', 'email') AS by_staff,
                   c.id AS customer_id, c.name AS customer_name, c.email AS customer_email,
                   c.shipping_address, c.shipping_country AS country,
                   COALESCE(NULLIF(c.billing_address, ''), c.shipping_address) AS billing,
                   (s.placed_at AT TIME ZONE {tz})::date + (1 + floor({r("s.id", R_SHIP_BY)} * 3))::int AS ship_by,
                   (s.placed_at AT TIME ZONE {tz})::date + (4 + floor({r("s.id", R_SHIP_BY)} * 3)
                       + floor({r("s.id", R_DELIVERY)} * 3))::int AS estimated,
                   {staff_pick(clerks, R_CHECKER)} AS checker,
                   {staff_pick(verifiers, R_VERIFIER)} AS verifier,
                   {staff_pick(workers, R_ALLOCATOR)} AS allocator,
                   {staff_pick(workers, R_WORKER)} AS worker,
                   {staff_pick(clerks, R_CLERK)} AS clerk,
                   floor({r("s.id", R_REASON)} * 1000)::int AS reason_n,
                   floor({self.p} * power({r("s.id", R_P_START)}, 2))::int AS p_start,
                   1 + floor({r("s.id", R_P_STRIDE)} * GREATEST(1, ({self.p} - 1) / 4))::int AS p_stride,
                   SUM(s.nl) OVER (ORDER BY s.i) - s.nl AS line_off,
                   SUM((s.lvl >= 4)::int) OVER (ORDER BY s.i) - 1 AS pay_off,
                   SUM((s.lvl >= 7)::int) OVER (ORDER BY s.i) - 1 AS ship_off
            FROM s JOIN lc AS c ON c.k = s.cust_k
            """
        )
        self.sql("ANALYZE lo")

    def tax_on(self, base: str, rate: str) -> str:
        """``orders.money.pricing.tax_on`` in SQL (half-up rounding to the cent)."""
        if settings.ORDERS_PRICES_INCLUDE_TAX:
            return f"({base} - round({base} / (1 + {rate}), 2))"
        return f"round({base} * {rate}, 2)"

    def plan_lines(self, line_base: int) -> None:
        """``lt``: the lines of the chunk's orders, and where their stock comes from."""
        r = self.r
        key = "o.id * 8 + ks.k"
        quantity = pick(
            r(key, R_QTY),
            [("1", 62), ("2", 22), ("3", 9), ("-1", 7)],
        )
        many = f"4 + floor({r(key, R_QTY + 100)} * 7)::int"
        warehouse = pick(
            r(key, R_WAREHOUSE),
            [("0", 70), ("1", 20), ("2", 10)][: len(self.warehouses)],
        )
        self.sql(
            f"""
            CREATE TEMP TABLE lt ON COMMIT DROP AS
            SELECT o.id AS order_id, o.number, o.lvl, o.base, o.bo_seen, o.canc_eff, ks.k,
                   {line_base} + o.line_off + ks.k - 1 AS id,
                   p.id AS product_id, p.sku, p.name, p.price AS unit_price, x.q,
                   (p.price * x.q)::numeric(12, 2) AS line_total,
                   tx.rate AS tax_rate, tx.rate_text, tx.percent,
                   {self.tax_on("(p.price * x.q)", "tx.rate")}::numeric(12, 2) AS tax_amount,
                   s.stock_item_id, s.code AS warehouse
            FROM lo AS o
            CROSS JOIN LATERAL generate_series(1, o.nl) AS ks(k)
            CROSS JOIN LATERAL (
                SELECT CASE WHEN q0 < 0 THEN {many} ELSE q0 END AS q, wk,
                       mod(o.p_start + (ks.k - 1) * o.p_stride, {self.p}) AS pk
                FROM (SELECT {quantity} AS q0, {warehouse} AS wk) AS x0
            ) AS x
            JOIN lp AS p ON p.k = x.pk
            JOIN ls AS s ON s.product_id = p.id AND s.wk = x.wk
            JOIN ltax AS tx ON tx.tax_class = p.tax_class AND tx.country = o.country
            """
        )
        self.sql("ANALYZE lt")

    def plan_totals(self, pay_base: int, invoice_base: int, ship_base: int) -> None:
        """``lx``: orders with their totals, facts' data and the ids of what they own;
        ``li``: invoice numbers."""
        r = self.r
        threshold = Decimal(settings.ORDERS_SECOND_CHECK_WAIVED_BELOW)
        net = not settings.ORDERS_PRICES_INCLUDE_TAX
        carriers = list(settings.ORDERS_CARRIER_TRACKING_URLS) or ["DHL"]
        sid = "o.id"

        def digits(n: int, salt: int) -> str:
            return f"lpad(floor({r(sid, salt)} * 1e{n})::bigint::text, {n}, '0')"

        formats = {
            "DHL": f"'00340434' || {digits(12, R_TRACKING)}",
            "UPS": f"'1Z' || upper(lpad(to_hex(hashint8extended({sid}, {self.seed * 1000 + R_TRACKING})), 16, '0'))",
            "DPD": digits(14, R_TRACKING),
            "GLS": digits(11, R_TRACKING),
        }
        carrier_n = f"(1 + floor({r(sid, R_CARRIER)} * {len(carriers)})::int)"
        tracking = (
            f"CASE {carrier_n} "
            + " ".join(
                f"WHEN {k} THEN {formats.get(name, digits(12, R_TRACKING))}"
                for k, name in enumerate(carriers, 1)
            )
            + " END"
        )
        self.sql(
            """
            CREATE TEMP TABLE la ON COMMIT DROP AS
            SELECT l.order_id AS id, SUM(l.line_total) AS subtotal, SUM(l.tax_amount) AS line_tax,
                   jsonb_agg(jsonb_build_object(
                       'line_id', l.id, 'sku', l.sku, 'stock_item_id', l.stock_item_id,
                       'warehouse', l.warehouse, 'quantity', l.q) ORDER BY l.id)
                       FILTER (WHERE l.lvl >= 3) AS allocations,
                   jsonb_agg(jsonb_build_object('line_id', l.id, 'sku', l.sku, 'quantity', l.q)
                       ORDER BY l.id) FILTER (WHERE l.lvl >= 7) AS contents,
                   jsonb_object_agg(upper(l.sku), l.q) FILTER (WHERE l.lvl >= 6) AS scanned,
                   jsonb_agg(jsonb_build_object('line_id', l.id, 'sku', l.sku, 'missing', l.q)
                       ORDER BY l.id) FILTER (WHERE l.bo_seen AND l.k = 1) AS missing,
                   jsonb_agg(jsonb_build_object(
                       'sku', l.sku, 'name', l.name, 'quantity', l.q,
                       'unit_price', l.unit_price::text, 'line_total', l.line_total::text,
                       'discount', '0.00', 'tax_rate', l.rate_text, 'tax_percent', l.percent,
                       'tax', l.tax_amount::text) ORDER BY l.id)
                       FILTER (WHERE l.lvl >= 4) AS invoice_lines
            FROM lt AS l GROUP BY l.order_id
            """
        )
        self.sql(
            f"""
            CREATE TEMP TABLE lx ON COMMIT DROP AS
            SELECT o.*, a.subtotal, a.allocations, a.contents, a.scanned, a.missing,
                   a.invoice_lines, t.shipping, a.line_tax + t.shipping_tax AS tax_total,
                   a.subtotal + t.shipping {"+ a.line_tax + t.shipping_tax" if net else ""} AS total,
                   CASE WHEN o.lvl >= 4 THEN {pay_base} + o.pay_off END AS payment_id,
                   CASE WHEN o.lvl >= 4 THEN {invoice_base} + o.pay_off END AS invoice_id,
                   CASE WHEN o.lvl >= 7 THEN {ship_base} + o.ship_off END AS shipment_id,
                   CASE WHEN o.lvl >= 7 THEN ({text_array(carriers)})[{carrier_n}] END AS carrier,
                   CASE WHEN o.lvl >= 7 THEN {tracking} END AS tracking_number
            FROM lo AS o
            JOIN la AS a ON a.id = o.id
            JOIN ltax AS st ON st.tax_class = 'standard' AND st.country = o.country
            CROSS JOIN LATERAL (
                SELECT sh AS shipping,
                       CASE WHEN sh > 0 THEN {self.tax_on("sh", "st.rate")} ELSE 0 END AS shipping_tax
                FROM (SELECT CASE WHEN a.subtotal >= {FREE_SHIPPING_FROM} THEN 0
                                  ELSE {SHIPPING} END::numeric(12, 2) AS sh) AS sh0
            ) AS t
            """
        )
        self.sql(
            f"""
            ALTER TABLE lx ADD COLUMN waived boolean, ADD COLUMN auth_ref text,
                           ADD COLUMN cap_ref text;
            UPDATE lx SET
                waived = {threshold} > 0 AND total < {threshold},
                auth_ref = CASE WHEN lvl >= 4 THEN 'tc_auth_' || left(encode(sha256(convert_to(
                    payment_id || '|4242|' || total::text, 'UTF8')), 'hex'), 16) END;
            UPDATE lx SET cap_ref = 'tc_cap_' || left(encode(sha256(convert_to(
                auth_ref || '|' || total::text, 'UTF8')), 'hex'), 16) WHERE lvl >= 4;
            """
        )
        self.sql("ANALYZE lx")
        self.sql(
            f"""
            CREATE TEMP TABLE li ON COMMIT DROP AS
            SELECT x.id AS order_id, x.invoice_id, x.year,
                   COALESCE(ds.last_number, 0)
                       + ROW_NUMBER() OVER (PARTITION BY x.year ORDER BY x.paid_at, x.id) AS seq
            FROM (SELECT id, invoice_id, paid_at,
                         EXTRACT(YEAR FROM paid_at AT TIME ZONE {lit(settings.TIME_ZONE)})::int AS year
                  FROM lx WHERE lvl >= 4) AS x
            LEFT JOIN orders_documentsequence AS ds ON ds.series = 'INV' AND ds.year = x.year
            """
        )
        self.sql("ALTER TABLE li ADD COLUMN number text")
        self.sql(f"UPDATE li SET number = 'INV-' || year || '-' || {padded('seq')}")
        self.sql("CREATE UNIQUE INDEX ON li (order_id)")
        self.sql("ANALYZE li")

    def inserts(self) -> list[tuple[str, str]]:
        """The INSERT … SELECT of each table, from the plan tables."""
        company = lit(json.dumps(settings.ORDERS_COMPANY)) + "::jsonb"
        extra_columns = "".join(f", {c}" for c in self.order_extras)
        extra_values = "".join(f", {v}" for v in self.order_extras.values())
        iso = (
            "to_char(o.placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            "CASE WHEN extract(microseconds FROM o.placed_at)::int % 1000000 = 0 THEN '' "
            "ELSE to_char(o.placed_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
        )
        return [
            (
                "orders_order",
                f"""
                INSERT INTO orders_order
                    (id, number, tracking_token, channel, channel_reference, customer_id,
                     split_from_id, status, held_from, shipping_address, shipping_country,
                     billing_address, ship_by, estimated_delivery, currency, subtotal,
                     discount_total, shipping_total, tax_total, total,
                     first_checked_by_id, first_checked_at, verified_by_id, verified_at,
                     shipped_at, delivered_at, completed_at, cancelled_at,
                     status_changed_at, placed_at, updated_at, submission_key,
                     source, external_id{extra_columns})
                SELECT id, number, token, channel, channel_ref, customer_id,
                       NULL, state, held_from, shipping_address, country,
                       billing, ship_by, estimated, {lit(settings.ORDERS_CURRENCY)}, subtotal,
                       0, shipping, tax_total, total,
                       CASE WHEN lvl >= 1 AND NOT waived THEN checker END,
                       CASE WHEN NOT waived THEN t1 END,
                       CASE WHEN lvl >= 2 THEN verifier END, t2,
                       t7, t8, t9, tc,
                       changed_at, placed_at,
                       CASE WHEN waived AND lvl = 1 THEN placed_at ELSE last_at END, '',
                       '', ''
                       {extra_values}
                FROM lx ORDER BY id
                """,
            ),
            (
                "orders_orderline",
                """
                INSERT INTO orders_orderline
                    (id, order_id, product_id, sku, name, quantity, unit_price, line_total,
                     price_source, price_list_id, price_reason, discount_amount, tax_rate,
                     tax_amount, backordered_quantity)
                SELECT id, order_id, product_id, sku, name, q, unit_price, line_total,
                       'catalogue', NULL, '', 0, tax_rate, tax_amount,
                       CASE WHEN bo_seen AND lvl = 2 AND k = 1 THEN q ELSE 0 END
                FROM lt ORDER BY id
                """,
            ),
            (
                "orders_payment",
                """
                INSERT INTO orders_payment
                    (id, order_id, provider, method, amount, amount_captured,
                     amount_refunded, status, reference, card_last4, due_date,
                     failure_message, created_by_id, created_at, updated_at, submission_key)
                SELECT payment_id, id, 'test_card', 'card', total, total,
                       0, 'captured', cap_ref, '4242', NULL,
                       '', CASE WHEN by_staff THEN clerk END, t4, paid_at, ''
                FROM lx WHERE lvl >= 4 ORDER BY payment_id
                """,
            ),
            (
                "orders_invoice",
                f"""
                INSERT INTO orders_invoice
                    (id, kind, number, year, sequence, order_id, refund_id, issued_at,
                     currency, net, tax, total, content)
                SELECT o.invoice_id, 'invoice', i.number, i.year, i.seq, o.id, NULL, o.paid_at,
                       {lit(settings.ORDERS_CURRENCY)}, o.total - o.tax_total, o.tax_total, o.total,
                       jsonb_build_object(
                           'seller', {company},
                           'customer', jsonb_build_object(
                               'name', o.customer_name, 'email', o.customer_email,
                               'billing_address', o.billing,
                               'shipping_address', o.shipping_address,
                               'country', o.country),
                           'order', o.number,
                           'placed_at', {iso},
                           'prices_include_tax', {lit(bool(settings.ORDERS_PRICES_INCLUDE_TAX))},
                           'lines', o.invoice_lines,
                           'subtotal', o.subtotal::text, 'discount', '0.00',
                           'shipping', o.shipping::text, 'tax', o.tax_total::text,
                           'total', o.total::text,
                           'payments', jsonb_build_array(jsonb_build_object(
                               'method', 'Card', 'amount', o.total::text,
                               'reference', o.cap_ref)))
                FROM lx AS o JOIN li AS i ON i.order_id = o.id
                ORDER BY o.invoice_id
                """,
            ),
            (
                "orders_documentsequence",
                """
                INSERT INTO orders_documentsequence (series, year, last_number)
                SELECT 'INV', year, MAX(seq) FROM li GROUP BY year
                ON CONFLICT (series, year) DO UPDATE SET last_number =
                    GREATEST(orders_documentsequence.last_number, EXCLUDED.last_number)
                """,
            ),
            (
                "orders_shipment",
                """
                INSERT INTO orders_shipment
                    (id, order_id, carrier, tracking_number, created_by_id, created_at)
                SELECT shipment_id, id, carrier, tracking_number, worker, t7
                FROM lx WHERE lvl >= 7 ORDER BY shipment_id
                """,
            ),
            (
                "orders_shipmentline",
                """
                INSERT INTO orders_shipmentline (shipment_id, order_line_id, quantity)
                SELECT o.shipment_id, l.id, l.q
                FROM lt AS l JOIN lx AS o ON o.id = l.order_id
                WHERE o.lvl >= 7 ORDER BY l.id
                """,
            ),
            (
                "orders_orderlineallocation",
                """
                INSERT INTO orders_orderlineallocation (line_id, stock_item_id, quantity)
                SELECT id, stock_item_id, q FROM lt
                WHERE lvl BETWEEN 3 AND 6 AND NOT canc_eff ORDER BY id
                """,
            ),
            ("orders_orderevent", self.events()),
        ]

    def events(self) -> str:
        """Every fact of every order, with the data its ``*.facts`` function records."""
        hold = text_array(HOLD_REASONS)
        cancel = text_array(CANCEL_REASONS)
        system = ("'system'", "NULL::int")

        def staff(who: str) -> tuple[str, str]:
            return ("'staff'", who)

        def either(condition: str, who: str) -> tuple[str, str]:
            return (
                f"CASE WHEN {condition} THEN 'staff' ELSE 'system' END",
                f"CASE WHEN {condition} THEN {who} END",
            )

        facts = [
            # (type, where, actor, from, to, data, at, extra join)
            (
                "placed",
                "TRUE",
                either("o.by_staff", "o.clerk"),
                "''",
                "'placed'",
                "jsonb_build_object('channel', o.channel, 'total', o.total::text, "
                f"'currency', {lit(settings.ORDERS_CURRENCY)}, 'lines', o.nl)",
                "o.placed_at",
            ),
            (
                "first_check_recorded",
                "o.lvl >= 1 AND NOT o.waived",
                staff("o.checker"),
                "''",
                "''",
                "jsonb_build_object('items', o.nl + 3, 'price_differences', '[]'::jsonb)",
                "o.t1",
            ),
            (
                "verified",
                "o.lvl >= 2",
                staff("o.verifier"),
                "'placed'",
                "'verified'",
                "jsonb_build_object('second_check_waived', o.waived, "
                "'first_checker_id', CASE WHEN o.waived THEN NULL ELSE o.checker END)",
                "o.t2",
            ),
            (
                "backordered",
                "o.bo_seen",
                staff("o.allocator"),
                "'verified'",
                "'backordered'",
                "jsonb_build_object('missing', o.missing)",
                "o.tbo",
            ),
            (
                "allocated",
                "o.lvl >= 3",
                either("NOT o.bo_seen", "o.allocator"),
                "CASE WHEN o.bo_seen THEN 'backordered' ELSE 'verified' END",
                "'allocated'",
                "jsonb_build_object('allocations', o.allocations)",
                "o.t3",
            ),
            (
                "payment_started",
                "o.lvl >= 4",
                either("o.by_staff", "o.clerk"),
                "''",
                "''",
                "jsonb_build_object('payment_id', o.payment_id, 'method', 'card', "
                "'provider', 'test_card', 'amount', o.total::text)",
                "o.t4",
            ),
            (
                "payment_authorized",
                "o.lvl >= 4",
                either("o.by_staff", "o.clerk"),
                "''",
                "''",
                "jsonb_build_object('payment_id', o.payment_id, 'method', 'card', "
                "'provider', 'test_card', 'amount', o.total::text, 'card_last4', '4242')",
                "o.t4 + interval '1 second'",
            ),
            (
                "payment_captured",
                "o.lvl >= 4",
                either("o.by_staff", "o.clerk"),
                "''",
                "''",
                "jsonb_build_object('payment_id', o.payment_id, 'method', 'card', "
                "'provider', 'test_card', 'amount', o.total::text, "
                "'captured', o.total::text)",
                "o.paid_at",
            ),
            (
                "paid",
                "o.lvl >= 4",
                system,
                "'allocated'",
                "'paid'",
                "jsonb_build_object('total', o.total::text)",
                "o.paid_at",
            ),
            (
                "invoice_issued",
                "o.lvl >= 4",
                system,
                "''",
                "''",
                "jsonb_build_object('invoice_id', o.invoice_id, 'number', i.number, "
                f"'total', o.total::text, 'currency', {lit(settings.ORDERS_CURRENCY)}, "
                "'refund_id', NULL)",
                "o.paid_at",
            ),
            (
                "picking_started",
                "o.lvl >= 5",
                staff("o.worker"),
                "'paid'",
                "'picking'",
                "'{}'::jsonb",
                "o.t5",
            ),
            (
                "packed",
                "o.lvl >= 6",
                staff("o.worker"),
                "'picking'",
                "'packed'",
                "jsonb_build_object('scanned', o.scanned)",
                "o.t6",
            ),
            (
                "parcel_shipped",
                "o.lvl >= 7",
                staff("o.worker"),
                "''",
                "''",
                "jsonb_build_object('shipment_id', o.shipment_id, 'carrier', o.carrier, "
                "'tracking_number', o.tracking_number, 'contents', o.contents, "
                "'complete', TRUE)",
                "o.t7",
            ),
            (
                "shipped",
                "o.lvl >= 7",
                staff("o.worker"),
                "'packed'",
                "'shipped'",
                "jsonb_build_object('shipment_id', o.shipment_id)",
                "o.t7",
            ),
            (
                "delivered",
                "o.lvl >= 8",
                system,
                "'shipped'",
                "'delivered'",
                "'{}'::jsonb",
                "o.t8",
            ),
            (
                "completed",
                "o.lvl >= 9",
                either("NOT o.auto_c", "o.clerk"),
                "'delivered'",
                "'completed'",
                "CASE WHEN o.auto_c THEN jsonb_build_object('how', 'auto', 'rating', NULL, "
                f"'after_days', {settings.ORDERS_AUTO_COMPLETE_DAYS}) "
                "ELSE jsonb_build_object('how', 'staff', 'rating', NULL, 'after_days', NULL) END",
                "o.t9",
            ),
            (
                "held",
                "o.held",
                staff("o.clerk"),
                "o.base",
                "'on_hold'",
                f"jsonb_build_object('reason', ({hold})[1 + mod(o.reason_n, {len(HOLD_REASONS)})])",
                "o.th",
            ),
            (
                "cancelled",
                "o.canc_eff",
                staff("o.clerk"),
                "o.base",
                "'cancelled'",
                f"jsonb_build_object('reason', ({cancel})[1 + mod(o.reason_n, {len(CANCEL_REASONS)})], "
                "'released', CASE WHEN o.base = 'allocated' THEN o.allocations "
                "ELSE '[]'::jsonb END)",
                "o.tc",
            ),
        ]
        selects = []
        for seq, (
            kind,
            where,
            (actor_kind, actor),
            source,
            target,
            data,
            at,
        ) in enumerate(facts, 1):
            join = (
                "LEFT JOIN li AS i ON i.order_id = o.id" if "i.number" in data else ""
            )
            selects.append(
                f"SELECT o.id AS order_id, {seq} AS seq, {lit(kind)} AS type, "
                f"{actor_kind} AS actor_kind, {actor} AS actor_id, {source} AS from_status, "
                f"{target} AS to_status, {data} AS data, "
                f"{lit(kind in CUSTOMER_VISIBLE)} AS customer_visible, {at} AS created_at "
                f"FROM lx AS o {join} WHERE {where}"
            )
        return f"""
            INSERT INTO orders_orderevent
                (order_id, type, actor_kind, actor_id, integration, from_status, to_status,
                 data, customer_visible, created_at)
            SELECT order_id, type, actor_kind, actor_id, '', from_status, to_status,
                   data, customer_visible, created_at
            FROM ({" UNION ALL ".join(selects)}) AS e
            ORDER BY order_id, seq
        """

    def write_stock(self) -> int:
        """The ledger: allocations, shipments and releases of the chunk's lines, goods
        receipts that cover them, and the stock rows moved by exactly those sums."""
        limit = settings.INVENTORY_MAX_QUANTITY
        self.sql(
            f"""
            CREATE TEMP TABLE lmv ON COMMIT DROP AS
            SELECT l.stock_item_id, 'allocation'::text AS kind, 0 AS on_hand_delta,
                   l.q AS allocated_delta, l.number::text AS reference, ''::text AS reason,
                   CASE WHEN o.bo_seen THEN NULL ELSE o.allocator END AS actor_id,
                   o.t3 AS created_at
            FROM lt AS l JOIN lx AS o ON o.id = l.order_id WHERE o.lvl >= 3
            UNION ALL
            SELECT l.stock_item_id, 'shipment', -l.q, -l.q, l.number, '', o.worker, o.t7
            FROM lt AS l JOIN lx AS o ON o.id = l.order_id WHERE o.lvl >= 7
            UNION ALL
            SELECT l.stock_item_id, 'release', 0, -l.q, l.number,
                   ({text_array(CANCEL_REASONS)})[1 + mod(o.reason_n, {len(CANCEL_REASONS)})], o.clerk, o.tc
            FROM lt AS l JOIN lx AS o ON o.id = l.order_id WHERE o.canc_eff AND o.lvl = 3
            """
        )
        # One delivery per warehouse before the chunk's first order: what its
        # orders take, plus a little, so stock never runs below what is promised.
        self.sql(
            f"""
            CREATE TEMP TABLE lrc ON COMMIT DROP AS
            SELECT s.stock_item_id, s.product_id, s.wk,
                   ceil(d.demand * 1.05)::int + 5
                       + floor({self.r("s.stock_item_id", R_RECEIPT)} * 20)::int AS quantity
            FROM (SELECT stock_item_id, SUM(allocated_delta) AS demand FROM lmv
                  WHERE kind = 'allocation' GROUP BY stock_item_id) AS d
            JOIN ls AS s ON s.stock_item_id = d.stock_item_id
            """
        )
        if (self.value("SELECT MAX(quantity) FROM lrc") or 0) > limit:
            raise CommandError(
                "A goods receipt line would exceed INVENTORY_MAX_QUANTITY; use a smaller --chunk."
            )
        wks = [row[0] for row in self.rows("SELECT DISTINCT wk FROM lrc ORDER BY wk")]
        written = 0
        if wks:
            first = self.reserve("inventory_goodsreceipt", len(wks))
            received = self.value(
                "SELECT MIN(placed_at) - interval '1 hour' FROM lo"
            ).isoformat()
            workers = self.staff[Role.WAREHOUSE]
            receipts = [
                (
                    wk,
                    first + n,
                    f"RCPT-{first + n:06d}",
                    SUPPLIERS[(first + n) % len(SUPPLIERS)],
                    workers[(first + n) % len(workers)],
                )
                for n, wk in enumerate(wks)
            ]
            self.sql(
                "CREATE TEMP TABLE lrh (wk int, id bigint, number text, supplier text, "
                "received_by int) ON COMMIT DROP"
            )
            self.sql(
                "INSERT INTO lrh VALUES "
                + ", ".join(
                    f"({wk}, {pk}, {lit(number)}, {lit(supplier)}, {user})"
                    for wk, pk, number, supplier, user in receipts
                )
            )
            n = self.sql(
                f"""
                INSERT INTO inventory_goodsreceipt
                    (id, number, warehouse_id, supplier, supplier_reference, note,
                     received_by_id, received_at, submission_key, reversed_at,
                     reversed_by_id, reversal_reason)
                SELECT h.id, h.number, w.id, h.supplier,
                       'DN-' || to_char({lit(received)}::timestamptz, 'YYYY') || '-' || h.id,
                       '', h.received_by, {lit(received)}::timestamptz, '', NULL, NULL, ''
                FROM lrh AS h JOIN lw AS w ON w.wk = h.wk ORDER BY h.id
                """
            )
            self.count("inventory_goodsreceipt", n)
            written += n
            n = self.sql(
                """
                INSERT INTO inventory_goodsreceiptline (receipt_id, product_id, quantity)
                SELECT h.id, c.product_id, c.quantity
                FROM lrc AS c JOIN lrh AS h ON h.wk = c.wk ORDER BY h.id, c.product_id
                """
            )
            self.count("inventory_goodsreceiptline", n)
            written += n
            self.sql(
                f"""
                INSERT INTO lmv
                SELECT c.stock_item_id, 'receipt', c.quantity, 0, h.number,
                       'Delivery from ' || h.supplier, h.received_by,
                       {lit(received)}::timestamptz
                FROM lrc AS c JOIN lrh AS h ON h.wk = c.wk
                """
            )
        n = self.sql(
            """
            INSERT INTO inventory_stockmovement
                (stock_item_id, kind, on_hand_delta, allocated_delta, reference, reason,
                 actor_id, created_at, reverses_id, submission_key)
            SELECT stock_item_id, kind, on_hand_delta, allocated_delta, reference, reason,
                   actor_id, created_at, NULL, ''
            FROM lmv ORDER BY created_at, reference, stock_item_id
            """
        )
        self.count("inventory_stockmovement", n)
        written += n
        n = self.sql(
            """
            UPDATE inventory_stockitem AS s
            SET on_hand = s.on_hand + d.on_hand, allocated = s.allocated + d.allocated,
                updated_at = now()
            FROM (SELECT stock_item_id, SUM(on_hand_delta) AS on_hand,
                         SUM(allocated_delta) AS allocated
                  FROM lmv GROUP BY stock_item_id) AS d
            WHERE s.id = d.stock_item_id
            """
        )
        return written

    def analyze(self, vacuum: bool) -> None:
        tables = [
            "orders_customer",
            "inventory_product",
            "inventory_stockitem",
            "orders_order",
            "orders_orderline",
            "orders_orderevent",
            "orders_payment",
            "orders_invoice",
            "orders_shipment",
            "orders_shipmentline",
            "orders_orderlineallocation",
            "inventory_stockmovement",
            "inventory_goodsreceipt",
            "inventory_goodsreceiptline",
            "orders_documentsequence",
        ]
        command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        for table in tables:
            self.sql(f"{command} {table}")

"""A fuzzer over every POST form of the site, as each role and as a customer.

The forms are not listed by hand: they are harvested from the pages each role
sees (every ``<form method="post">``, its action and its fields), over a world
with orders in every state, money in every position and stock work open. A
check makes sure every POST endpoint of the project was found, so a new one is
fuzzed from the day it appears.

Each example posts one form with hostile values (empty, negative, zero, up to
10^30, non-numeric, 10,000 characters, unicode, HTML and formula strings, NUL
bytes, tampered hidden fields, other orders' numbers and other customers'
tokens), inside a savepoint rolled back afterwards, and asserts:

- never a 5xx;
- a refused submit (a page shown again, a 4xx, or a redirect with an error)
  changes nothing: row counts, stock, money and every order's state;
- the invariants hold: the stock rows agree with their ledger (``audit_stock``)
  and with the allocations of order lines; money captured less refunded never
  exceeds an order's total plus its discounts (the only way to overpay); no
  refund beyond what was captured; no order without lines.
"""

import copy
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import counts
from inventory import services as inventory
from inventory.models import (
    GoodsReceipt,
    StockCount,
    StockItem,
    StockMovement,
)
from inventory.selectors import ledger_mismatches
from orders.core import services
from orders.customer import services as customer_side
from orders.models import (
    Customer,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Payment,
    Refund,
)
from orders.money import discounts, payments, refunds
from orders.money.position import money_positions
from orders.money.pricing_models import OrderDiscount
from orders.permissions import Role
from orders.stock import services as stock_services
from tests.factories.inventory import ProductFactory
from tests.factories.orders import CustomerFactory

S = OrderStatus

# Named URLs that take no POST (pages, lists, documents, probes).
GET_ONLY = {
    "home",
    "healthz",
    "track:order",
    "staff:dashboard",
    "inventory:stock",
    "inventory:health",
    "inventory:receipts",
    "inventory:receipt",
    "inventory:counts",
    "orders:list",
    "orders:pick_list",
    "orders:packing_slips",
    "orders:detail",
    "orders:backorders",
    "orders:invoice",
    "orders:invoice_pdf",
    "orders:customer_picker",
    "orders:product_picker",
    "orders:intake",
    "orders:delays",
    "orders:delay",
    "orders:delay_review",
    "returns:list",
    "returns:detail",
    "returns:analytics",
    "returns:photo",
    "track_returns:photo",
    "return_policy",
    "orders:import",
    "orders:import_template",
    "orders:import_progress",
    # Machine doors, attacked by their own tests: the API by a schema-driven
    # fuzzer (tests/api/test_fuzz.py), store webhooks with hostile bodies and
    # signatures (tests/orders/test_store_webhooks.py).
    "store_webhook",
}

HOSTILE_TEXT = [
    "",
    " ",
    "-1",
    "0",
    "-0.01",
    "4006381333931",
    str(2**63),
    "1" + "0" * 30,
    "-" + "9" * 30,
    "1e309",
    "NaN",
    "Infinity",
    "0E-13",
    "12abc",
    "3.14159265358979",
    "x" * 10_000,
    "Ⅻ ١٢ 💥 ñ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "a\x00b",
    "'; DROP TABLE orders_order; --",
    "../../etc/passwd",
    "ORD-000001",
]


# -- harvesting forms -----------------------------------------------------------
@dataclass
class FormSpec:
    role: str
    page: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values seen
    defaults: dict[str, str | list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submits

    @property
    def url_name(self) -> str:
        match = resolve(self.action.split("?")[0])
        if match.namespace:
            return f"{match.namespace}:{match.url_name}"
        return match.url_name


class _Forms(HTMLParser):
    """The POST forms of a page: action, each field with its values, named buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {
                "action": a.get("action") or "",
                "fields": {},
                "defaults": {},
                "buttons": [],
            }
        if self._form is None:
            return
        name = a.get("name")
        fields, defaults = self._form["fields"], self._form["defaults"]
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or ("on" if kind == "checkbox" else "")
            if kind == "submit":
                self._form["buttons"].append((name, value))
                return
            fields.setdefault(name, []).append(value)
            if kind == "checkbox":
                # Every box ticked: a checklist is posted complete.
                defaults.setdefault(name, [])
                defaults[name].append(value)
            elif kind != "radio" or name not in defaults:
                defaults[name] = value
        elif tag == "button" and name:
            self._form["buttons"].append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, [])
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            fields[self._select].append(value)
            if "selected" in a or not defaults.get(self._select):
                defaults[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            fields.setdefault(name, [""])
            defaults.setdefault(name, "")

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["defaults"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


# What a careful clerk would type into a field the page leaves empty, by name.
PLAUSIBLE = [
    (r"card_number$", "4242424242424242"),
    (r"(^|-)(reason|body|details|comment|note|price_reason|reference)$", "Fuzz: asked"),
    (r"supplier$", "Fuzz Ltd"),
    (r"carrier$", "DHL"),
    (r"tracking_number$", "TRK0001"),
    (r"scanned$", "FZ-BEANS x 2\nFZ-CUPS"),
    (r"delta$", "1"),
    (r"-0-sku$", "FZ-BEANS"),
    (r"-0-quantity$", "1"),
    (r"^email$", "fuzz@example.com"),
    (r"^name$", "Fuzz Buyer"),
    (r"^address$", "1 Fuzz Street"),
    (r"^(country|shipping_country)$", "DE"),
    (r"^amount$", "1.00"),
    (r"^value$", "1"),
    (r"^kind$", "fixed"),
    (r"^rating$", "5"),
    (r"^line_\d+$", "3"),
    (r"^skus$", "FZ-BEANS"),
    (r"^username$", "manager"),
    (r"^password$", "secret-pass"),
    (r"^number$", "ORD-000001"),
]


def plausible(spec: FormSpec) -> dict:
    """The form as a careful person would send it: the page's values, empty fields
    filled in, the first named button pressed."""
    data = dict(spec.defaults)
    for name in spec.fields:
        if data.get(name) in (None, "", "\n"):
            for pattern, value in PLAUSIBLE:
                if re.search(pattern, name):
                    data[name] = value
                    break
    if spec.buttons:
        name, value = spec.buttons[0]
        data[name] = value
    return data


def harvest(client: Client, role: str, pages: list[str]) -> list[FormSpec]:
    specs = []
    for page in pages:
        response = client.get(page)
        assert response.status_code < 500, (role, page, response.status_code)
        if response.status_code != 200 or "html" not in response.get(
            "Content-Type", ""
        ):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page
            if not action.startswith("/"):
                continue
            specs.append(
                FormSpec(
                    role=role,
                    page=page,
                    action=action,
                    fields=form["fields"],
                    defaults=form["defaults"],
                    buttons=form["buttons"],
                )
            )
    return specs


# -- the world the fuzzer attacks -------------------------------------------------
@dataclass
class World:
    clients: dict[str, Client]
    forms: list[FormSpec]
    numbers: list[str]
    tokens: list[str]
    ids: list[str]
    pages: list[str]


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _quiet_refusals():
    """Thousands of refused requests: Django's warning per 403/404 is noise here."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def world(staff, crew, order_in, warehouse, settings) -> World:
    settings.ORDERS_STORE_CREDIT_ALLOWED = True
    # Rate-limit counters of its own: a shared Redis remembers earlier runs' posts.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "fuzz",
        }
    }
    manager = staff[Role.MANAGER]
    beans, cups = ProductFactory(sku="FZ-BEANS"), ProductFactory(sku="FZ-CUPS")
    # orders in every state, each with stock of its own
    orders = {s: order_in(s, lines=[(beans, 2), (cups, 1)]) for s in (
        S.PLACED, S.VERIFIED, S.ALLOCATED, S.PAID, S.PICKING, S.PACKED,
        S.SHIPPED, S.DELIVERED, S.COMPLETED,
    )}  # fmt: skip
    orders["phone"] = order_in(S.PLACED, channel="phone")
    orders["backordered"] = stock_services.order_check_inventory(
        order=order_in(S.VERIFIED, lines=[(ProductFactory(sku="FZ-NONE"), 3)], stocked=False),
        actor=crew.warehouse,
    )  # fmt: skip
    # money in every position
    part = order_in(S.ALLOCATED)
    payments.payment_record_manual(
        order=part, method="bank_transfer", amount=Decimal("1.00"), actor=crew.clerk
    )
    over = order_in(S.ALLOCATED)
    payments.payment_record_manual(
        order=over,
        method="bank_transfer",
        amount=over.total - Decimal("0.01"),
        actor=crew.clerk,
    )
    discounts.discount_staff_grant(
        order=Order.objects.get(pk=over.pk),
        kind="fixed",
        value=Decimal("2.00"),
        reason="Late",
        actor=crew.clerk,
    )
    disc = order_in(S.ALLOCATED)
    discounts.discount_staff_grant(
        order=disc, kind="percent", value=Decimal("5"), reason="Loyal", actor=manager
    )
    failed = order_in(S.PAID)
    [refund] = refunds.payment_refund(
        order=failed,
        amount=Decimal("1.00"),
        reason="Dent",
        idempotency_key="fz-1",
        actor=manager,
    )
    refunds.refund_give_up(refund_id=refund.pk, error="Provider said no")
    cancelled = services.order_cancel(
        order=order_in(S.PAID), actor=manager, reason="Changed mind"
    )
    delivered = orders[S.DELIVERED]
    customer_side.order_report_problem(
        order=delivered, reason="damaged", details="Tin dented"
    )
    customer_side.message_from_customer(order=delivered, body="Where is it?")
    customer_side.order_send_read_back(order=orders["phone"], actor=crew.clerk)
    other = order_in(S.ALLOCATED, customer=CustomerFactory(email="other@example.com"))
    # stock work open: a receipt, an adjustment, counts to enter and to approve
    receipt = inventory.receipt_create(
        warehouse=warehouse,
        supplier="Roastery",
        lines=[inventory.ReceiptLine(beans, 5)],
        actor=manager,
    )
    inventory.stock_adjust(
        stock_item=StockItem.objects.get(product=cups),
        delta=1,
        actor=manager,
        reason="Found",
    )
    open_count = counts.count_open(
        warehouse=warehouse, actor=manager, product_ids=[beans.pk]
    )
    to_approve = counts.count_open(
        warehouse=warehouse, actor=manager, product_ids=[cups.pk]
    )
    counts.count_record(
        count=to_approve,
        quantities={line.pk: 9 for line in to_approve.lines.all()},
        actor=manager,
    )
    counts.count_submit(count=to_approve, actor=manager)

    unhappy = order_in(S.DELIVERED)  # the one that asks about a problem
    from orders.staff.models import SavedView

    for role in Role.ALL:  # so the list shows each person a view to delete
        SavedView.objects.create(user=staff[role], name="Paid", query="status=paid")
    from orders.intake.models import Delivery, Store

    shop = Store.objects.create(
        name="Shop", slug="shop", platform="shopify", secret="s"
    )
    Delivery.objects.create(
        store=shop, topic="orders/create", body="{}", status=Delivery.Status.FAILED
    )
    from orders.intake.imports import import_check

    job = import_check(
        filename="f.csv",
        text="reference,email,name,address,country,sku,quantity\n"
        "R1,a@example.com,A,Road 1,DE,FZ-BEANS,1\nR2,,B,Road,DE,FZ-BEANS,x\n",
        actor=staff[Role.MANAGER],
    )
    # A late order whose customer was told why and is asked how to go on.
    from datetime import timedelta

    from django.utils import timezone

    from orders.delays import services as delays
    from orders.delays.models import Delay, DelayCause

    slow = order_in(S.ALLOCATED)
    Order.objects.filter(pk=slow.pk).update(
        ship_by=timezone.localdate() - timedelta(days=3)
    )
    delays.delays_scan()
    case = Delay.objects.get(order=slow)
    delays.delay_explain(
        delay=case,
        actor=staff[Role.CLERK],
        cause=DelayCause.objects.get(code="carrier_delay"),
        new_date=timezone.localdate() + timedelta(days=4),
    )
    from tests.factories.orders import CorrectiveActionFactory

    CorrectiveActionFactory(delay=case, owner=staff[Role.WAREHOUSE])
    from orders.delays import compensation

    for value in ("3.00", "40.00"):  # offered to the customer; waiting for approval
        compensation.compensation_offer(
            delay=case,
            actor=staff[Role.CLERK],
            kind="store_credit",
            value=Decimal(value),
        )
    # Returns in each state that has a form: to decide, awaiting the parcel,
    # to inspect, to refund, and one with nothing to refund.
    from ordersite.actors import CUSTOMER
    from returns import services as returns

    def returned(order, **kwargs):
        line = order.lines.order_by("pk").first()
        return returns.return_request(
            order=order,
            asked=[returns.Asked(line_id=line.pk, quantity=1, reason="damaged")],
            outcome="refund",
            actor=CUSTOMER,
            **kwargs,
        )

    def arrived(rma):
        return returns.return_receive(
            rma=rma,
            actor=staff[Role.WAREHOUSE],
            arrived={line.pk: line.quantity for line in rma.lines.all()},
        )

    def graded(rma, grade="a"):
        return returns.return_inspect(
            rma=rma,
            actor=staff[Role.RETURNS],
            found={
                line.pk: returns.Inspection(
                    grade=grade, disposition="write_off", cause="no_longer_needed"
                )
                for line in rma.lines.all()
            },
        )

    back = order_in(S.DELIVERED, lines=[(ProductFactory(), 9)])
    late = order_in(S.DELIVERED)
    Order.objects.filter(pk=late.pk).update(
        delivered_at=timezone.now() - timedelta(days=35)
    )
    rma_requested = returned(Order.objects.get(pk=late.pk))
    rma_approved = returned(back)
    rma_received = arrived(returned(back))
    rma_inspected = graded(arrived(returned(back)))
    rma_scrap = graded(arrived(returned(back)), grade="scrap")
    rma_closed = returns.return_close(  # over: the customer is asked how it went
        rma=graded(arrived(returned(back)), grade="scrap"), actor=staff[Role.RETURNS]
    )
    rmas = [
        rma_requested,
        rma_approved,
        rma_received,
        rma_inspected,
        rma_scrap,
        rma_closed,
    ]
    # (the same form of several orders is one target: the last one found; the late
    # order comes first so the daily doors are posted from orders they suit)
    everyone = [
        slow,
        *orders.values(),
        part,
        over,
        disc,
        failed,
        cancelled,
        other,
        unhappy,
        back,
    ]
    order_pages = [
        reverse(name, args=[o.number])
        for o in everyone
        for name in (
            "orders:detail",
            "orders:verification",
            "orders:payment",
            "orders:refund",
            "orders:discount",
            "orders:correct",
            "orders:pack",
            "orders:ship",
        )
    ]
    staff_pages = [
        reverse("orders:list"),
        reverse("orders:intake"),
        reverse("orders:import_upload"),
        reverse("orders:import", args=[job.pk]),
        reverse("orders:new"),
        reverse("orders:backorders"),
        reverse("orders:delays"),
        reverse("orders:delay", args=[case.pk]),
        reverse("orders:delay_review"),
        reverse("staff:dashboard"),
        reverse("returns:list"),
        reverse("returns:new", args=[back.number]),
        *(reverse("returns:detail", args=[r.pk]) for r in rmas),
        reverse("returns:parcel", args=[rma_approved.pk]),
        reverse("returns:analytics"),
        reverse("inventory:product", args=[beans.sku]),
        reverse("inventory:product", args=[cups.sku]),
        reverse("inventory:receipt_new"),
        reverse("inventory:receipt", args=[receipt.number]),
        reverse("inventory:count_new"),
        reverse("inventory:count", args=[open_count.number]),
        reverse("inventory:count", args=[to_approve.number]),
        *order_pages,
        *(
            reverse("orders:email", args=[o.number, n.pk])
            for o in everyone
            for n in o.notifications.all()[:1]
        ),
    ]
    from orders.money.links import payment_link_open

    link = payment_link_open(order=orders[S.ALLOCATED])
    customer_pages = [reverse("track:lookup")] + [
        reverse("track:order", args=[o.tracking_token]) for o in everyone
    ]
    customer_pages.append(reverse("pay:test", args=[link.token]))
    customer_pages.append(reverse("track_returns:new", args=[back.tracking_token]))
    clients = {role: _client(staff[role]) for role in Role.ALL}
    clients["anonymous"] = _client()
    # The manager sees every staff form; other roles post them too when attacking.
    forms = harvest(clients[Role.MANAGER], Role.MANAGER, staff_pages)
    forms += harvest(clients["anonymous"], "anonymous", customer_pages)
    forms += harvest(clients["anonymous"], "anonymous", [reverse("staff:login")])
    tokens = [o.tracking_token for o in everyone]

    def kind(spec):
        # The same form for another order is one target (tampering aims it anywhere).
        action = re.sub(r"ORD-\d+", "ORD", spec.action)
        for token in tokens:
            action = action.replace(token, "TOKEN")
        names = {re.sub(r"\d+", "#", name) for name in spec.fields}
        return (action, tuple(sorted(names)))

    unique = {kind(f): f for f in forms}
    return World(
        clients=clients,
        forms=list(unique.values()),
        numbers=[o.number for o in everyone],
        tokens=tokens,
        ids=[str(i) for i in (1, 2, receipt.pk, refund.pk, 999_999, 2**31)],
        pages=[
            *staff_pages,
            *customer_pages[:2],
            reverse("inventory:stock"),
            reverse("inventory:health"),
            reverse("inventory:receipts"),
            reverse("inventory:counts"),
            reverse("orders:pick_list"),
            reverse("orders:packing_slips"),
            reverse("orders:invoice", args=[Invoice.objects.first().number]),
        ],
    )


# -- what must hold ---------------------------------------------------------------
def snapshot() -> dict:
    """Everything a refused submit must leave as it was."""
    return {
        "orders": dict(Order.objects.values_list("number", "status")),
        "totals": dict(Order.objects.values_list("number", "total")),
        "lines": list(
            OrderLine.objects.order_by("pk").values_list("pk", "quantity", "unit_price")
        ),
        "stock": list(
            StockItem.objects.order_by("pk").values_list("pk", "on_hand", "allocated")
        ),
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Customer,
                Payment,
                Refund,
                OrderDiscount,
                OrderEvent,
                StockMovement,
                GoodsReceipt,
                StockCount,
            )
        },
        "stock_counts": dict(StockCount.objects.values_list("number", "status")),
        "captured": Payment.objects.aggregate(
            c=Sum("amount_captured"), r=Sum("amount_refunded")
        ),
    }


def invariants() -> list[str]:
    broken = [
        f"ledger: {m.item} on hand {m.item.on_hand} vs {m.ledger_on_hand}"
        for m in ledger_mismatches()
    ]
    allocated = StockItem.objects.annotate(
        promised=Sum("order_allocations__quantity")
    ).filter(~Q(allocated=0) | Q(promised__isnull=False))
    broken += [
        f"stock {i.pk} allocated {i.allocated} but order lines hold {i.promised or 0}"
        for i in allocated
        if i.allocated != (i.promised or 0)
    ]
    broken += [
        f"order {o.number} has no lines"
        for o in Order.objects.annotate(n=Count("lines")).filter(n=0)
    ]
    all_orders = list(Order.objects.all())
    positions = money_positions(all_orders)
    for order in all_orders:
        position = positions[order.pk]
        if position.held < 0:
            broken.append(f"order {order.number} refunded more than it holds")
        kept = position.held
        if order.amount_held != kept:
            broken.append(
                f"order {order.number} keeps {order.amount_held} as held, "
                f"its payments hold {kept}"
            )
        # Payments never exceed what is owed when taken, so money beyond the charge
        # comes only from a cancellation or a discount given afterwards (at most
        # the discount with its tax: no tax rate is above 100 %).
        ceiling = position.charged + 2 * order.discount_total
        if order.status != S.CANCELLED and position.held > ceiling:
            broken.append(
                f"order {order.number} holds {position.held} for a charge of "
                f"{position.charged}"
            )
    return broken


def refused(response) -> bool:
    """The submit was not accepted: shown again, refused, or redirected with an error."""
    if response.status_code != 302:
        return True
    # Only the messages this request added (earlier ones wait in the cookie).
    added = get_messages(response.wsgi_request)._queued_messages
    levels = {m.level_tag for m in added}
    return "error" in levels or "danger" in levels


def attack(world: World, spec: FormSpec, data: dict, action: str, role: str):
    before = snapshot()
    client = world.clients[role]
    # Rolled back with the example: a logout, a login or a rotated session too.
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.post(action, data)
        client.cookies = cookies
        assert response.status_code < 500, (
            role,
            action,
            {k: v[:80] for k, v in data.items()},
            response.status_code,
        )
        if refused(response):
            after = snapshot()
            if spec.url_name == "orders:payment":
                # A declined card is recorded on purpose: its payment and its fact.
                for snap in (before, after):
                    snap["counts"].pop("Payment")
                    snap["counts"].pop("OrderEvent")
            assert after == before, (role, action, data, response.status_code)
        problems = invariants()
        assert problems == [], (role, action, data, problems)
        transaction.set_rollback(True)
    return response


def hostile_value(draw):
    return draw(
        st.one_of(
            st.sampled_from(HOSTILE_TEXT),
            # plausible but wrong: a number a form would take, the service must judge
            st.integers(min_value=-5, max_value=1_000_000).map(str),
            st.decimals(min_value=-5, max_value=100_000, places=2).map(str),
            st.integers(min_value=-(10**30), max_value=10**30).map(str),
            st.decimals(allow_nan=True, allow_infinity=True).map(str),
            st.text(max_size=40),
        )
    )


def _hostile_values(spec: FormSpec, world: World, draw) -> dict:
    """A plausible submit with some fields (or all) turned hostile, dropped or aimed
    at other rows, and perhaps another button pressed."""
    data = plausible(spec)
    names = sorted(spec.fields)
    if not names:
        return data
    chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    if draw(st.integers(0, 9)) == 0:
        chosen = names  # everything at once
    for name in chosen:
        how = draw(st.sampled_from(["hostile", "hostile", "choice", "drop", "id"]))
        if how == "drop":
            data.pop(name, None)
        elif how == "choice" and spec.fields[name]:
            data[name] = draw(st.sampled_from(spec.fields[name]))
        elif how == "id":
            data[name] = draw(st.sampled_from(world.ids + world.numbers))
        else:
            data[name] = hostile_value(draw)
    if spec.buttons:
        name, value = draw(st.sampled_from(spec.buttons))
        for other, _v in spec.buttons:
            data.pop(other, None)
        data[name] = value
    return data


def _tampered_action(spec: FormSpec, world: World, draw) -> str:
    """The form's action, or the same action aimed at another order, customer or row."""
    action = spec.action
    if draw(st.booleans()):
        numbers = re.findall(r"ORD-\d+", action)
        tokens = [t for t in world.tokens if t in action]
        if numbers:
            action = action.replace(numbers[0], draw(st.sampled_from(world.numbers)))
        elif tokens:
            action = action.replace(tokens[0], draw(st.sampled_from(world.tokens)))
    if re.search(r"/\d+/", action) and draw(st.booleans()):
        row = draw(st.sampled_from([*world.ids, "0", "9" * 30, "-1", "١٢"]))
        action = re.sub(r"/\d+/", f"/{row}/", action, count=1)
    return action


# -- the tests ----------------------------------------------------------------------
MUST_ACCEPT = {
    "inventory:count_new",
    "inventory:product",
    "inventory:receipt_new",
    "inventory:receipt_reverse",
    "orders:new",
    "orders:note",
    "orders:payment",
    "orders:refund",
    "orders:reply",
    "orders:transition",
    "orders:verification",
    "staff:login",
    "track:message",
    "track:confirm",
}


def project_post_endpoints() -> set[str]:
    from django.urls import URLResolver, get_resolver

    names = set()

    def walk(patterns, ns=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api"):
                    continue
                walk(p.url_patterns, p.namespace or ns)
            elif p.name:
                names.add(f"{ns}:{p.name}" if ns else p.name)

    walk(get_resolver().url_patterns)
    return names - GET_ONLY


@pytest.mark.django_db
def test_each_form_as_each_role_with_every_field_hostile(world):
    """Every POST endpoint of the project was found; then a deterministic sweep:
    every form with each field empty, huge, markup/formula and NUL in turn, and
    with the page's own values posted by every other role and by a stranger."""
    assert project_post_endpoints() - {spec.url_name for spec in world.forms} == set()
    accepted = set()
    for spec in world.forms:
        base = plausible(spec)
        if not refused(attack(world, spec, base, spec.action, spec.role)):
            accepted.add(spec.url_name)
        for name in spec.fields:
            for value in (
                "",
                "-1",
                "999999",
                "1" + "0" * 30,
                "x" * 10_000,
                'a\x00<b>=HYPERLINK("x")',
            ):
                attack(world, spec, {**base, name: value}, spec.action, spec.role)
        if re.search(r"/\d+/", spec.action):  # a row id no key can hold
            huge = re.sub(r"/\d+/", "/" + "9" * 30 + "/", spec.action, count=1)
            attack(world, spec, base, huge, spec.role)
        for role in [*Role.ALL, "anonymous"]:
            if role != spec.role:
                attack(world, spec, base, spec.action, role)
    # The fuzzer reaches past the forms: a careful submit gets through the daily
    # doors (others need judgement the page leaves to the person: which lines to
    # split, what was scanned, which orders to pick, the customer's own email).
    assert MUST_ACCEPT - accepted == set()


# Every query parameter a page reads, and then some.
QUERY_NAMES = [
    "q", "status", "channel", "placed_from", "placed_to", "warehouse", "overdue",
    "payment", "attention", "sort", "size", "page", "format", "orders", "problem",
    "next", "queue", "owner", "find", "customer", "sku",
]  # fmt: skip
QUERY_VALUES = [
    "",
    "-1",
    "0",
    "1" + "0" * 30,
    "x" * 10_000,
    "Ⅻ ١٢ 💥",
    "2026-13-45",
    "csv",
    "ORD-000001,ORD-" + "9" * 30,
    '"><script>alert(1)</script>',
]


@pytest.mark.django_db
def test_every_page_read_with_a_hostile_query_string(world):
    """GET doors: every page with each parameter it reads (and ones it does not)
    hostile, one at a time and all at once, and path parts no row can match."""
    client = world.clients[Role.MANAGER]
    paid = world.numbers[3]  # one order's pages stand for all orders' pages
    pages = list(dict.fromkeys(re.sub(r"ORD-\d+", paid, p) for p in world.pages))
    for page in pages:
        for value in QUERY_VALUES:
            response = client.get(page, dict.fromkeys(QUERY_NAMES, value))
            assert response.status_code < 500, (page, value[:40], response.status_code)
        for name in QUERY_NAMES:
            for value in ("1" + "0" * 30, "x" * 10_000, "-1"):
                response = client.get(page, {name: value})
                assert response.status_code < 500, (page, name, value[:40])
    for page in (
        "/staff/orders/ORD-" + "9" * 30 + "/",
        "/staff/orders/" + "x" * 10_000 + "/",
        "/staff/inventory/products/" + "9" * 5_000 + "/",
        "/staff/inventory/receipts/GR-" + "9" * 30 + "/",
        "/staff/inventory/counts/CNT-" + "9" * 30 + "/",
        "/staff/invoices/INV-" + "9" * 30 + "/",
        "/staff/invoices/INV-" + "9" * 30 + ".pdf",
        "/track/" + "x" * 10_000 + "/",
    ):
        response = client.get(page)
        assert response.status_code == 404, (page[:60], response.status_code)


@pytest.mark.django_db
@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_posts_never_break_the_site(world, data):
    spec = data.draw(st.sampled_from(world.forms), label="form")
    role = data.draw(
        st.sampled_from([spec.role, spec.role, *Role.ALL, "anonymous"]), label="role"
    )
    values = _hostile_values(spec, world, data.draw)
    action = _tampered_action(spec, world, data.draw)
    attack(world, spec, values, action, role)

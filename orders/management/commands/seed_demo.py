"""Load the demo data: a catalogue with stock, customers, staff and ~300 orders in every state.

Every order is driven through the order services exactly as staff would drive
it, so the stock ledger, payments and timelines are consistent. Runs once:
when the demo admin exists it does nothing. Refused under production settings.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from inventory import alerts, counts
from inventory import services as inventory
from inventory.models import Product, StockItem, StockMovement, Warehouse
from orders import demo
from orders.core import services
from orders.customer import services as customer_side
from orders.delays.demo import seed_delays
from orders.delays.models import DELAY_DIGEST
from orders.demo_data import (
    AGE_DAYS,
    CANCEL_REASONS,
    CATALOGUE,
    CITIES,
    DEMO_PASSWORD,
    FIRST,
    HOLD_REASONS,
    LAST,
    ORDER_TIMESTAMPS,
    OUT_OF_STOCK,
    RUNNING_LOW,
    SEED,
    STREETS,
    TARGETS,
)
from orders.exceptions import PackMismatch
from orders.fulfilment import services as fulfilment
from orders.models import (
    Channel,
    Customer,
    CustomerGroup,
    CustomerMessage,
    DiscountCode,
    Notification,
    Order,
    OrderEvent,
    OrderNote,
    OrderStatus,
    Payment,
    PriceList,
    PriceListEntry,
    Refund,
    Shipment,
)
from orders.money import discounts, payments, pricing, refunds
from orders.money.providers import TestCardProvider
from orders.notifications.emails import CUSTOMER_EMAIL, STAFF_ALERT
from orders.permissions import Role
from orders.verification import services as verification
from ordersite.models import OutboxMessage
from returns.demo import seed_returns

# The demo's API key: known, so the examples in docs/integration.md run as
# written against `make run`. Demo data never loads in production.
DEMO_API_KEY = "osk_demo0000_ordersite-demo-key-local-only"
DEMO_API_KEY_NAME = "Demo store (API)"
# Two online stores whose webhooks the demo accepts (docs/integration.md).
DEMO_STORES = [
    ("Demo Shopify store", "demo-shopify", "shopify", "demo-shopify-secret"),
    ("Demo WooCommerce store", "demo-woocommerce", "woocommerce", "demo-woo-secret"),
]


class Command(BaseCommand):
    help = "Load demo data (catalogue, stock, customers, staff accounts, ~300 orders). Runs once."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("seed_demo refuses to run under production settings.")
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            self.stdout.write("Demo data already loaded; nothing to do.")
            self._say_api_key()
            return
        rng = random.Random(SEED)
        # One transaction: all or nothing, and far fewer disk syncs on SQLite.
        # Notifications queued on commit run once it is all in.
        # The demo's history is not mailed to anyone: what the services send while
        # seeding (refunds executed after commit, staff alerts) stays in memory.
        quiet = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        )
        ages = []
        with quiet, transaction.atomic():
            staff = self._staff(User)
            self._api_key(staff[Role.MANAGER])
            self._stores()
            products = self._catalogue(staff[Role.MANAGER])
            customers = self._customers(rng)
            self._agreements(customers, products)
            for target, count in TARGETS.items():
                for _n in range(count):
                    order = self._order(
                        rng, target, rng.choice(customers), products, staff
                    )
                    low, high = AGE_DAYS[target]
                    ages.append((order, timedelta(days=rng.uniform(low, high))))
            self._stock_work(staff)
            self._money_work(staff)
            self._conversations(staff)
            self._fulfilment_work(staff)
            # The demo's history: these emails and alerts went out in the past,
            # so the outbox marks them sent and no worker sends them again now.
            # Refunds and voids stay queued: the outbox carries them out.
            OutboxMessage.objects.filter(
                kind__in=[CUSTOMER_EMAIL, STAFF_ALERT],
                status=OutboxMessage.Status.PENDING,
            ).update(status=OutboxMessage.Status.SENT, sent_at=timezone.now())
        with quiet, transaction.atomic():
            for order, age in ages:
                self._backdate(order, age)
        # Late orders become delay cases, many of them worked on already.
        with quiet, transaction.atomic():
            late = seed_delays(staff=staff, rng=rng, out_of_stock=OUT_OF_STOCK)
            returned = seed_returns(staff=staff, rng=rng)
            OutboxMessage.objects.filter(
                kind__in=[CUSTOMER_EMAIL, STAFF_ALERT, DELAY_DIGEST],
                status=OutboxMessage.Status.PENDING,
            ).update(status=OutboxMessage.Status.SENT, sent_at=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(products)} products, {len(customers)} customers and "
                f"{Order.objects.count()} orders. Staff accounts: "
                f"{', '.join(['admin', *Role.ALL])} (password: {DEMO_PASSWORD})."
            )
        )
        self.stdout.write(
            f"Delays: {late['cases']} cases from the scan, {late['told']} explained "
            f"to the customer, {late['answered']} answered, {late['offered']} "
            f"compensation offers, {late['closed']} closed, {late['escalated']} escalated."
        )
        self.stdout.write(
            "Returns: "
            + ", ".join(f"{n} {status}" for status, n in returned.items())
            + "."
        )
        self._say_api_key()

    def _say_api_key(self):
        """The demo's API key, for docs/integration.md's examples."""
        from ordersite.api.models import ApiKey

        if ApiKey.objects.filter(name=DEMO_API_KEY_NAME, revoked_at=None).exists():
            self.stdout.write(f"Demo API key (every scope): {DEMO_API_KEY}")
        for name, slug, _platform, secret in DEMO_STORES:
            self.stdout.write(
                f"Demo store {name}: webhooks to /hooks/stores/{slug}/, secret {secret}"
            )

    def _api_key(self, manager):
        from ordersite.api.models import Scope
        from ordersite.api.services import api_key_create

        api_key_create(
            name=DEMO_API_KEY_NAME,
            scopes=list(Scope.values),
            actor=manager,
            raw=DEMO_API_KEY,
        )

    def _stores(self):
        from orders.intake.models import Store

        for name, slug, platform, secret in DEMO_STORES:
            Store.objects.create(name=name, slug=slug, platform=platform, secret=secret)

    def _staff(self, User) -> dict:
        User.objects.create_superuser("admin", "admin@ordersite.local", DEMO_PASSWORD)
        staff = {}
        for role in Role.ALL:
            user = User.objects.create_user(
                role,
                f"{role}@ordersite.local",
                DEMO_PASSWORD,
                is_staff=True,
                first_name=role.capitalize(),
                last_name="Demo",
            )
            user.groups.add(Group.objects.get(name=role))
            staff[role] = User.objects.get(pk=user.pk)  # fresh, without cached perms
        return staff

    def _catalogue(self, manager) -> list[Product]:
        main = Warehouse.objects.create(
            code="main", name="Main warehouse, Berlin", is_default=True
        )
        north = Warehouse.objects.create(code="north", name="North depot, Hamburg")
        products = []
        for n, (name, price) in enumerate(CATALOGUE):
            products.append(
                Product.objects.create(
                    sku=f"CF-{1000 + n:04d}",
                    name=name,
                    description=f"{name}, from the demo catalogue.",
                    unit_price=Decimal(price),
                    returnable=not name.startswith("Gift"),
                )
            )
        stocked = [p for p in products if p.sku not in OUT_OF_STOCK]
        for warehouse, quantity in (
            (main, lambda n: 60 + 3 * n),
            (north, lambda n: 20 + n),
        ):
            inventory.receipt_create(
                warehouse=warehouse,
                supplier="Opening stock",
                supplier_reference="DEMO-OPENING",
                lines=[
                    inventory.ReceiptLine(
                        product=p, quantity=35 if p.sku in RUNNING_LOW else quantity(n)
                    )
                    for n, p in enumerate(stocked)
                ],
                actor=manager,
            )
        for product in products:  # out-of-stock products are listed too, at zero
            for warehouse in (main, north):
                inventory.stock_item_ensure(product=product, warehouse=warehouse)
        items = StockItem.objects.select_related("warehouse").order_by("product__sku")
        for n, item in enumerate(items):
            main_item = item.warehouse.is_default
            slot = n // 2  # each product has a row in both warehouses
            inventory.stock_item_configure(
                stock_item=item,
                reorder_point=30 if main_item else 15,
                reorder_quantity=100 if main_item else 50,
                # Aisles A–C, racks 01–05, shelves 1–2; a deliberate non-SKU order.
                location=f"{'CAB'[slot % 3]}-{slot % 5 + 1:02d}-{slot % 2 + 1}",
            )
        return products

    def _stock_work(self, staff) -> None:
        """A recent delivery, a count being counted and one awaiting approval."""
        warehouse = staff[Role.WAREHOUSE]
        main, north = (
            Warehouse.objects.get(code="main"),
            Warehouse.objects.get(code="north"),
        )
        inventory.receipt_create(
            warehouse=north,
            supplier="Roastery Ltd",
            supplier_reference="DN-2026-1142",
            lines=[
                inventory.ReceiptLine(product=Product.objects.get(sku=sku), quantity=24)
                for sku in ("CF-1000", "CF-1001")
            ],
            actor=warehouse,
        )
        skus = ["CF-1005", "CF-1006", "CF-1007", "CF-1010", "CF-1011"]
        ids = list(Product.objects.filter(sku__in=skus).values_list("pk", flat=True))
        ongoing = counts.count_open(
            warehouse=north,
            actor=warehouse,
            product_ids=ids,
            note="Monthly count, aisle 3",
        )
        lines = list(ongoing.lines.select_related("stock_item").order_by("pk"))[:3]
        counts.count_record(
            count=ongoing,
            quantities={line.pk: line.stock_item.on_hand for line in lines},
            actor=warehouse,
        )
        review = counts.count_open(
            warehouse=main, actor=warehouse, product_ids=ids[:3], note="Spot check"
        )
        counts.count_record(
            count=review,
            quantities={
                line.pk: line.stock_item.on_hand - (2 if i == 0 else 0)
                for i, line in enumerate(review.lines.select_related("stock_item"))
            },
            actor=warehouse,
        )
        counts.count_submit(count=review, actor=warehouse)  # for the manager to approve
        alerts.low_stock_refresh()

    def _agreements(self, customers, products) -> None:
        """A café group with agreed prices and quantity breaks, one customer's own list, a code."""
        cafes = CustomerGroup.objects.create(name="Cafés")
        Customer.objects.filter(pk__in=[c.pk for c in customers[:6]]).update(
            group=cafes
        )
        for customer in customers[:6]:
            customer.group = cafes
        group_list = PriceList.objects.create(name="Café prices 2026", group=cafes)
        for product in products[:5]:
            for min_quantity, factor in ((1, "0.90"), (3, "0.85")):
                PriceListEntry.objects.create(
                    price_list=group_list,
                    product=product,
                    min_quantity=min_quantity,
                    unit_price=pricing.cents(product.unit_price * Decimal(factor)),
                )
        own = PriceList.objects.create(
            name=f"Agreed with {customers[0].name}", customer=customers[0]
        )
        PriceListEntry.objects.create(
            price_list=own,
            product=products[0],
            unit_price=pricing.cents(products[0].unit_price * Decimal("0.80")),
        )
        DiscountCode.objects.create(
            code="WELCOME10",
            kind="percent",
            value=Decimal("10"),
            description="Welcome offer",
            max_uses=100,
        )

    def _money_work(self, staff) -> None:
        """A partial refund, store credit, invoices awaiting payment, an overpayment, a decline."""
        clerk = staff[Role.CLERK]
        done = list(
            Order.objects.filter(status=OrderStatus.COMPLETED).order_by("pk")[:2]
        )
        refunds.payment_refund(
            order=done[0],
            amount=pricing.cents(done[0].total / 3),
            reason="One item arrived damaged",
            idempotency_key="demo-partial",
            actor=clerk,
        )
        refunds.payment_refund(
            order=done[1],
            amount=Decimal("10.00"),
            reason="Goodwill for a late delivery; customer chose store credit",
            idempotency_key="demo-credit",
            actor=clerk,
            outcome=Refund.Outcome.STORE_CREDIT,
        )
        waiting = list(
            Order.objects.filter(status=OrderStatus.ALLOCATED).order_by("pk")[:5]
        )
        for order in waiting[:3]:
            payments.payment_record_manual(
                order=order,
                method=Payment.Method.INVOICE,
                amount=order.total,
                actor=clerk,
                received=False,
            )
        # Paid in full, then a discount for a late delivery: payments hold
        # more than the new total and the excess is due back.
        payments.payment_record_manual(
            order=waiting[3],
            method=Payment.Method.BANK_TRANSFER,
            amount=waiting[3].total - Decimal("0.01"),
            actor=clerk,
            reference="Transfer from the customer",
        )
        discounts.discount_staff_grant(
            order=Order.objects.get(pk=waiting[3].pk),
            kind="fixed",
            value=Decimal("5.00"),
            reason="Late delivery",
            actor=clerk,
        )
        try:
            payments.payment_take_card(
                order=waiting[4],
                amount=waiting[4].total,
                card_number=TestCardProvider.DECLINED,
                actor=clerk,
            )
        except payments.PaymentRefused:
            pass  # the demo shows a declined card on this order

    def _conversations(self, staff) -> None:
        """A question answered, a reported problem and a confirmation with a rating."""
        delivered = list(
            Order.objects.filter(status=OrderStatus.DELIVERED).order_by("pk")[:3]
        )
        shipped = (
            Order.objects.filter(status=OrderStatus.SHIPPED).order_by("pk").first()
        )
        customer_side.message_from_customer(
            order=shipped, body="Could the parcel be left with my neighbour?"
        )
        customer_side.message_from_staff(
            order=shipped,
            body="Yes, we have asked the carrier to do that.",
            actor=staff[Role.CLERK],
        )
        customer_side.order_report_problem(
            order=delivered[0],
            reason="damaged",
            details="The glass carafe arrived cracked.",
        )
        customer_side.order_confirm_receipt(
            order=delivered[1], rating=5, comment="Fast and well packed."
        )

    def _fulfilment_work(self, staff) -> None:
        """A check sent back, a parcel refused at packing, and an order partly shipped."""
        checked = (
            Order.objects.filter(
                status=OrderStatus.PLACED, first_checked_by__isnull=False
            )
            .order_by("pk")
            .first()
        )
        verification.order_send_back(
            order=checked,
            actor=staff[Role.VERIFIER],
            reason="wrong_quantity",
            note="The customer's email asks for 3, not 2.",
        )
        picking = (
            Order.objects.filter(status=OrderStatus.PICKING).order_by("pk").first()
        )
        try:
            fulfilment.order_pack(
                order=picking,
                actor=staff[Role.WAREHOUSE],
                scanned=["CF-1013"] + [line.sku for line in picking.lines.all()],
            )
        except PackMismatch:
            pass  # the refused parcel is on the order's timeline
        packed = next(
            o
            for o in Order.objects.filter(status=OrderStatus.PACKED).order_by("pk")
            if sum(line.quantity for line in o.lines.all()) > 1
        )
        first = packed.lines.order_by("pk").first()
        fulfilment.order_ship(
            order=packed,
            actor=staff[Role.WAREHOUSE],
            carrier="DHL",
            tracking_number="00340434160000000001",
            lines={first.pk: max(first.quantity - 1, 1)},
        )

    def _customers(self, rng) -> list[Customer]:
        customers = []
        for n in range(40):
            first, last = FIRST[n % len(FIRST)], LAST[(n * 3) % len(LAST)]
            postcode, city, country = rng.choice(CITIES)
            address = f"{first} {last}\n{rng.choice(STREETS)} {rng.randint(1, 120)}\n{postcode} {city}"
            customers.append(
                Customer.objects.create(
                    name=f"{first} {last}",
                    email=f"{first}.{last}.{n}@example.com".lower(),
                    phone=f"+49 30 {rng.randint(1000000, 9999999)}",
                    shipping_address=address,
                    shipping_country=country,
                )
            )
        return customers

    def _order(self, rng, target, customer, products, staff) -> Order:
        in_stock = [p for p in products if p.sku not in OUT_OF_STOCK]
        chosen = rng.sample(in_stock, rng.randint(1, 4))
        if target == OrderStatus.BACKORDERED:
            chosen[0] = rng.choice([p for p in products if p.sku in OUT_OF_STOCK])
        channel = rng.choices(Channel.values, weights=[55, 15, 20, 10])[0]
        today = timezone.localdate()
        order = services.order_place(
            customer=customer,
            channel=channel,
            lines=[
                pricing.LineInput(product=p, quantity=rng.randint(1, 3)) for p in chosen
            ],
            actor=staff[Role.CLERK]
            if channel in (Channel.PHONE, Channel.EMAIL)
            else None,
            channel_reference=f"{channel.upper()}-{rng.randint(10000, 99999)}",
            shipping_total=Decimal("4.90"),
            ship_by=today + timedelta(days=2),
            estimated_delivery=today + timedelta(days=5),
        )
        if rng.random() < 0.1:
            discounts.discount_code_apply(order=order, code="WELCOME10")
            order.refresh_from_db()
        if target in (OrderStatus.ON_HOLD, OrderStatus.CANCELLED):
            stop = rng.choice(
                [
                    "placed",
                    OrderStatus.VERIFIED,
                    OrderStatus.ALLOCATED,
                    OrderStatus.PAID,
                    OrderStatus.PACKED,
                ]
            )
        elif target == OrderStatus.BACKORDERED:
            stop = OrderStatus.ALLOCATED  # the inventory check backorders it
        else:
            stop = target
        crew = demo.Crew(
            clerk=staff[Role.CLERK],
            verifier=staff[Role.VERIFIER],
            warehouse=staff[Role.WAREHOUSE],
        )
        order = demo.advance(order, stop, crew=crew, rng=rng)
        if target == OrderStatus.ON_HOLD:
            order = services.order_hold(
                order=order, actor=staff[Role.CLERK], reason=rng.choice(HOLD_REASONS)
            )
        elif target == OrderStatus.CANCELLED:
            order = services.order_cancel(
                order=order, actor=staff[Role.CLERK], reason=rng.choice(CANCEL_REASONS)
            )
        if rng.random() < 0.15:
            services.order_add_note(
                order=order,
                actor=staff[Role.CLERK],
                body="Customer called to ask about the delivery date.",
            )
        return order

    def _backdate(self, order, age: timedelta) -> None:
        # Demo only: spread orders over the past weeks so lists and ages look real.
        # Everything about one order moves back by the same amount, so its
        # timeline, ledger rows and timestamps still tell one consistent story.
        moved = {name: F(name) - age for name in ORDER_TIMESTAMPS}
        days = timedelta(days=age.days)
        Order.objects.filter(pk=order.pk).update(
            **moved,
            ship_by=F("ship_by") - days,
            estimated_delivery=F("estimated_delivery") - days,
        )
        earlier = {"created_at": F("created_at") - age}
        OrderEvent.objects.filter(order=order).update(**earlier)
        Payment.objects.filter(order=order).update(**earlier)
        Shipment.objects.filter(order=order).update(**earlier)
        OrderNote.objects.filter(order=order).update(**earlier)
        Notification.objects.filter(order=order).update(**earlier)
        OutboxMessage.objects.filter(notification__order=order).update(
            created_at=F("created_at") - age,
            next_attempt_at=F("next_attempt_at") - age,
            sent_at=F("sent_at") - age,
        )
        CustomerMessage.objects.filter(order=order).update(**earlier)
        StockMovement.objects.filter(reference=order.number).update(**earlier)

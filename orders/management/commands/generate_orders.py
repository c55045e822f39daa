"""Bulk-create many orders for measuring list pages (``bench/``); not demo data.

The rows are written directly with ``bulk_create`` — no events, stock or
payments — because what is measured is how the pages read large tables.
Refused under production settings.
"""

import random
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from inventory.models import Product
from orders.models import Channel, Customer, Order, OrderLine, OrderStatus

CENT = Decimal("0.01")


class Command(BaseCommand):
    help = "Bulk-create N orders (with lines and customers) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, count, batch, seed, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "generate_orders refuses to run under production settings."
            )
        rng = random.Random(seed)
        products = list(Product.objects.all()[:200]) or [
            Product.objects.create(
                sku=f"GEN-{n:04d}", name=f"Generated {n}", unit_price=Decimal("9.90")
            )
            for n in range(50)
        ]
        customers = list(
            Customer.objects.bulk_create(
                [
                    Customer(
                        name=f"Bench Customer {n}",
                        email=f"bench{n}@example.com",
                        shipping_address=f"Benchstraße {n}\n10115 Berlin",
                        shipping_country="DE",
                    )
                    for n in range(2000)
                ]
            )
        )
        start = Order.objects.count()
        now = timezone.now()
        statuses, channels = OrderStatus.values, Channel.values
        made = 0
        while made < count:
            size = min(batch, count - made)
            with transaction.atomic():
                orders = []
                for i in range(size):
                    n = start + made + i
                    placed = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                    orders.append(
                        Order(
                            number=f"ORD-G{n:07d}",
                            tracking_token=secrets.token_urlsafe(24),
                            channel=rng.choice(channels),
                            customer=rng.choice(customers),
                            status=rng.choice(statuses),
                            shipping_address="Benchstraße 1\n10115 Berlin",
                            shipping_country="DE",
                            currency="EUR",
                            placed_at=placed,
                            status_changed_at=placed,
                            ship_by=(placed + timedelta(days=2)).date(),
                        )
                    )
                Order.objects.bulk_create(orders, batch_size=1000)
                lines = []
                for order in orders:
                    total = Decimal("0")
                    for product in rng.sample(products, rng.randint(1, 3)):
                        quantity = rng.randint(1, 3)
                        line_total = (product.unit_price * quantity).quantize(CENT)
                        total += line_total
                        lines.append(
                            OrderLine(
                                order=order,
                                product=product,
                                sku=product.sku,
                                name=product.name,
                                quantity=quantity,
                                unit_price=product.unit_price,
                                line_total=line_total,
                            )
                        )
                    order.subtotal = order.total = total
                OrderLine.objects.bulk_create(lines, batch_size=2000)
                Order.objects.bulk_update(
                    orders, ["subtotal", "total"], batch_size=1000
                )
            made += size
            self.stdout.write(f"{made}/{count} orders")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {count} orders; {Order.objects.count()} in all."
            )
        )

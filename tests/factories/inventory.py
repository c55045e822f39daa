"""Factories for the inventory models.

Stock quantities in tests come from ``inventory.services.stock_receive`` (see the
``stock`` fixture) so the ledger always matches; ``StockItemFactory`` makes empty rows.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from inventory.models import (
    AlertDigest,
    GoodsReceipt,
    GoodsReceiptLine,
    IncomingStock,
    LedgerCheckpoint,
    LowStockAlert,
    Product,
    StockCount,
    StockCountLine,
    StockItem,
    StockMovement,
    TaxClass,
    Warehouse,
)


class TaxClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClass
        django_get_or_create = ("code",)

    code = "standard"
    name = "Standard rate"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A product made for a test."
    unit_price = Decimal("10.00")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"wh{n}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")


class StockItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockItem

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)


class LedgerCheckpointFactory(factory.django.DjangoModelFactory):
    """A verified ledger sum of a stock row; ``audit_stock`` writes them after a clean run."""

    class Meta:
        model = LedgerCheckpoint

    stock_item = factory.SubFactory(StockItemFactory)
    through_movement = 0
    on_hand = 0
    allocated = 0
    checked_at = factory.LazyFunction(timezone.now)


class StockMovementFactory(factory.django.DjangoModelFactory):
    """A ledger row on its own; tests of the ledger's rules use it, stock tests use services."""

    class Meta:
        model = StockMovement

    stock_item = factory.SubFactory(StockItemFactory)
    kind = StockMovement.Kind.ADJUSTMENT
    on_hand_delta = 1
    reference = "TEST"


class GoodsReceiptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoodsReceipt

    number = factory.Sequence(lambda n: f"RCPT-T{n:05d}")
    warehouse = factory.SubFactory(WarehouseFactory)
    supplier = "Roastery Ltd"
    received_by = factory.SubFactory("tests.factories.orders.StaffFactory")


class GoodsReceiptLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoodsReceiptLine

    receipt = factory.SubFactory(GoodsReceiptFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 5


class LowStockAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LowStockAlert

    stock_item = factory.SubFactory(StockItemFactory, reorder_point=5)
    available_when_raised = 0
    reorder_point = 5


class AlertDigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertDigest

    day = factory.Sequence(
        lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n)
    )
    recipients = "purchasing@example.com"
    alert_count = 1


class StockCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockCount

    number = factory.Sequence(lambda n: f"CNT-T{n:05d}")
    warehouse = factory.SubFactory(WarehouseFactory)
    opened_by = factory.SubFactory("tests.factories.orders.StaffFactory")


class StockCountLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockCountLine

    count = factory.SubFactory(StockCountFactory)
    stock_item = factory.SubFactory(
        StockItemFactory, warehouse=factory.SelfAttribute("..count.warehouse")
    )


class IncomingStockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncomingStock

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    quantity = 10
    expected_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=5)
    )

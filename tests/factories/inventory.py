"""Factories for the inventory models.

Stock quantities in tests come from ``inventory.services.stock_receive`` (see the
``stock`` fixture) so the ledger always matches; ``StockItemFactory`` makes empty rows.
"""

from decimal import Decimal

import factory

from inventory.models import Product, StockItem, StockMovement, Warehouse


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


class StockMovementFactory(factory.django.DjangoModelFactory):
    """A ledger row on its own; tests of the ledger's rules use it, stock tests use services."""

    class Meta:
        model = StockMovement

    stock_item = factory.SubFactory(StockItemFactory)
    kind = StockMovement.Kind.ADJUSTMENT
    on_hand_delta = 1
    reference = "TEST"

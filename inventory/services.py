"""The only way stock changes: every change of on-hand or allocated writes a ledger row.

Callers pass plain data (ids and quantities), so other apps depend on this
module and not the other way round. Each function locks the stock rows it
touches through ``inventory.locks`` and changes quantities with conditional
updates; the database CHECK constraints are the last line of defence.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from inventory.exceptions import (
    InsufficientStock,
    InvalidQuantity,
    InventoryError,
    Shortage,
)
from inventory.locks import lock_stock_items
from inventory.models import Product, StockItem, StockMovement, Warehouse


@dataclass(frozen=True)
class AllocationRequest:
    """Ask for ``quantity`` units of a product; ``key`` lets the caller match the answer."""

    key: int
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Allocation:
    """Units reserved in one stock item for the request with the same ``key``."""

    key: int
    stock_item_id: int
    quantity: int


def _move(
    *,
    item: StockItem,
    kind: str,
    on_hand: int = 0,
    allocated: int = 0,
    actor,
    reference: str,
    reason: str = "",
) -> StockMovement:
    """Change one stock row with a conditional update and write its ledger row."""
    guard = {}
    if on_hand < 0:
        guard["on_hand__gte"] = -on_hand
    if allocated > 0:
        # Never promise more than is on hand and not yet promised.
        guard["on_hand__gte"] = F("allocated") + allocated - on_hand
    elif allocated < 0:
        guard["allocated__gte"] = -allocated
    updated = StockItem.objects.filter(pk=item.pk, **guard).update(
        on_hand=F("on_hand") + on_hand, allocated=F("allocated") + allocated
    )
    if updated != 1:
        raise InventoryError(
            _(
                "Stock of %(sku)s in %(warehouse)s changed underneath this operation; "
                "nothing was changed."
            )
            % {"sku": item.product.sku, "warehouse": item.warehouse.code}
        )
    item.on_hand += on_hand
    item.allocated += allocated
    return StockMovement.objects.create(
        stock_item=item,
        kind=kind,
        on_hand_delta=on_hand,
        allocated_delta=allocated,
        actor=actor,
        reference=reference,
        reason=reason,
    )


def _candidates(items: dict[int, StockItem], product_id: int) -> list[StockItem]:
    """Where a product may be allocated from, in the documented order.

    The default warehouse first (it is where most orders ship from), then the
    warehouse with the most units free (fewest splits), then by id.
    """
    usable = [
        i
        for i in items.values()
        if i.product_id == product_id and i.warehouse.active and i.available > 0
    ]
    return sorted(
        usable, key=lambda i: (not i.warehouse.is_default, -i.available, i.pk)
    )


def stock_allocate(
    *, requests: list[AllocationRequest], actor, reference: str
) -> list[Allocation]:
    """Reserve every requested unit, or nothing: raises ``InsufficientStock`` listing each shortage.

    A line may be served from more than one warehouse when no single one holds enough.
    """
    if any(r.quantity < 1 for r in requests):
        raise InvalidQuantity(_("Quantities to allocate must be at least one."))
    with transaction.atomic():
        items = lock_stock_items(product_ids={r.product_id for r in requests})
        wanted: dict[int, int] = defaultdict(int)
        for r in requests:
            wanted[r.product_id] += r.quantity
        shortages = []
        for product_id, quantity in wanted.items():
            free = sum(i.available for i in _candidates(items, product_id))
            if free < quantity:
                shortages.append(
                    Shortage(
                        product_id=product_id,
                        sku=Product.objects.only("sku").get(pk=product_id).sku,
                        requested=quantity,
                        available=free,
                    )
                )
        if shortages:
            raise InsufficientStock(shortages)
        allocations = []
        for r in requests:
            remaining = r.quantity
            for item in _candidates(items, r.product_id):
                take = min(remaining, item.available)
                _move(
                    item=item,
                    kind=StockMovement.Kind.ALLOCATION,
                    allocated=take,
                    actor=actor,
                    reference=reference,
                )
                allocations.append(
                    Allocation(key=r.key, stock_item_id=item.pk, quantity=take)
                )
                remaining -= take
                if remaining == 0:
                    break
        return allocations


def _apply_to_allocations(
    *,
    allocations: list[Allocation],
    kind: str,
    consume: bool,
    actor,
    reference: str,
    reason: str,
) -> None:
    with transaction.atomic():
        items = lock_stock_items(ids={a.stock_item_id for a in allocations})
        for a in sorted(allocations, key=lambda a: a.stock_item_id):
            if a.quantity < 1:
                raise InvalidQuantity(_("Quantities must be at least one."))
            _move(
                item=items[a.stock_item_id],
                kind=kind,
                on_hand=-a.quantity if consume else 0,
                allocated=-a.quantity,
                actor=actor,
                reference=reference,
                reason=reason,
            )


def stock_release(
    *, allocations: list[Allocation], actor, reference: str, reason: str
) -> None:
    """Give allocated units back to free stock (an order was cancelled or changed)."""
    _apply_to_allocations(
        allocations=allocations,
        kind=StockMovement.Kind.RELEASE,
        consume=False,
        actor=actor,
        reference=reference,
        reason=reason,
    )


def stock_ship(*, allocations: list[Allocation], actor, reference: str) -> None:
    """Units left the warehouse: on-hand and allocated both drop by the shipped quantity."""
    _apply_to_allocations(
        allocations=allocations,
        kind=StockMovement.Kind.SHIPMENT,
        consume=True,
        actor=actor,
        reference=reference,
        reason="",
    )


def stock_receive(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: int,
    actor,
    reference: str,
    reason: str = "",
) -> StockItem:
    """Goods arrived: add on-hand stock, creating the stock row if needed."""
    if quantity < 1:
        raise InvalidQuantity(_("A receipt needs a quantity of at least one."))
    with transaction.atomic():
        item, _created = StockItem.objects.get_or_create(
            product=product, warehouse=warehouse
        )
        item = lock_stock_items(ids=[item.pk])[item.pk]
        _move(
            item=item,
            kind=StockMovement.Kind.RECEIPT,
            on_hand=quantity,
            actor=actor,
            reference=reference,
            reason=reason,
        )
        return item

"""The only way stock changes: every change of on-hand or allocated writes a ledger row.

Callers pass plain data (ids and quantities), so other apps depend on this
module and not the other way round. Each function locks the stock rows it
touches through ``inventory.locks`` and changes quantities with conditional
updates; the database CHECK constraints are the last line of defence.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.exceptions import (
    AlreadyRecorded,
    InsufficientStock,
    InvalidQuantity,
    InventoryError,
    NotAllowed,
    Shortage,
)
from inventory.facts import stock_increased
from inventory.locks import lock_stock_items, lock_stock_rows_of
from inventory.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    IncomingStock,
    Product,
    StockItem,
    StockMovement,
    Warehouse,
)
from ordersite import limits
from ordersite.submissions import submission


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


def units(quantity, *, least: int = 1, what=None) -> int:
    """A quantity of units from ``least`` to the configured ceiling, else refused."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(_("A quantity must be a whole number."))
    ceiling = limits.max_stock_quantity()
    if not least <= quantity <= ceiling:
        raise InvalidQuantity(
            _("%(what)s must be from %(least)s to %(ceiling)s.")
            % {
                "what": what or _("A quantity"),
                "least": least,
                "ceiling": f"{ceiling:,}",
            }
        )
    return quantity


def _too_full(item: StockItem) -> InvalidQuantity:
    return InvalidQuantity(
        _("%(sku)s in %(warehouse)s cannot hold more than %(ceiling)s units.")
        % {
            "sku": item.product.sku,
            "warehouse": item.warehouse.code,
            "ceiling": f"{limits.QUANTITY_CEILING:,}",
        }
    )


def _changed_underneath(item: StockItem) -> InventoryError:
    return InventoryError(
        _(
            "Stock of %(sku)s in %(warehouse)s changed underneath this operation; "
            "nothing was changed."
        )
        % {"sku": item.product.sku, "warehouse": item.warehouse.code}
    )


def _move(
    *,
    item: StockItem,
    kind: str,
    on_hand: int = 0,
    allocated: int = 0,
    actor,
    reference: str,
    reason: str = "",
    **record,
) -> StockMovement:
    """Change one stock row with a conditional update and write its ledger row."""
    # Never fewer units on hand than promised to orders, never below zero.
    guard = Q(on_hand__gte=F("allocated") + allocated - on_hand)
    if on_hand < 0:
        guard &= Q(on_hand__gte=-on_hand)
    elif on_hand > 0:
        guard &= Q(on_hand__lte=limits.QUANTITY_CEILING - on_hand)
    if allocated < 0:
        guard &= Q(allocated__gte=-allocated)
    updated = StockItem.objects.filter(guard, pk=item.pk).update(
        on_hand=F("on_hand") + on_hand, allocated=F("allocated") + allocated
    )
    if updated != 1:
        if on_hand > 0 and item.on_hand + on_hand > limits.QUANTITY_CEILING:
            raise _too_full(item)
        raise _changed_underneath(item)
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
        **record,
    )


def _candidates(
    items: dict[int, StockItem], product_id: int, taken: dict[int, int] | None = None
) -> list[StockItem]:
    """Where a product may be allocated from, in the documented order.

    The default warehouse first (it is where most orders ship from), then the
    warehouse with the most units free (fewest splits), then by id. ``taken``:
    units already promised by earlier lines of the same allocation.
    """
    taken = taken or {}

    def free(i: StockItem) -> int:
        return i.available - taken.get(i.pk, 0)

    usable = [
        i
        for i in items.values()
        if i.product_id == product_id and i.warehouse.active and free(i) > 0
    ]
    return sorted(usable, key=lambda i: (not i.warehouse.is_default, -free(i), i.pk))


def _move_all(
    changes: list[tuple[StockItem, int, int]],
    *,
    kind: str,
    actor,
    reference: str,
    reason: str = "",
) -> list[StockMovement]:
    """Apply ``(item, on_hand, allocated)`` changes to stock rows the caller has
    locked: each checked in turn against the locked values (the same rules as
    ``_move``), then one UPDATE for every row and one INSERT for every ledger row,
    however many lines the order has."""
    touched: dict[int, StockItem] = {}
    rows = []
    for item, on_hand, allocated in changes:
        new_on_hand, new_allocated = item.on_hand + on_hand, item.allocated + allocated
        if new_on_hand > limits.QUANTITY_CEILING:
            raise _too_full(item)
        if new_on_hand < 0 or new_allocated < 0 or new_allocated > new_on_hand:
            raise _changed_underneath(item)
        item.on_hand, item.allocated = new_on_hand, new_allocated
        touched[item.pk] = item
        rows.append(
            StockMovement(
                stock_item=item,
                kind=kind,
                on_hand_delta=on_hand,
                allocated_delta=allocated,
                actor=actor,
                reference=reference,
                reason=reason,
            )
        )
    now = timezone.now()
    for item in touched.values():
        item.updated_at = now
    StockItem.objects.bulk_update(
        sorted(touched.values(), key=lambda i: i.pk),
        ["on_hand", "allocated", "updated_at"],
    )
    return StockMovement.objects.bulk_create(rows)


def stock_allocate(
    *, requests: list[AllocationRequest], actor, reference: str
) -> list[Allocation]:
    """Reserve every requested unit, or nothing: raises ``InsufficientStock`` listing each shortage.

    A line may be served from more than one warehouse when no single one holds enough.
    """
    for r in requests:
        if isinstance(r.quantity, bool) or not isinstance(r.quantity, int):
            raise InvalidQuantity(_("A quantity must be a whole number."))
        if not 1 <= r.quantity <= limits.QUANTITY_CEILING:
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
        allocations, changes, taken = [], [], defaultdict(int)
        for r in requests:
            remaining = r.quantity
            for item in _candidates(items, r.product_id, taken):
                take = min(remaining, item.available - taken[item.pk])
                taken[item.pk] += take
                changes.append((item, 0, take))
                allocations.append(
                    Allocation(key=r.key, stock_item_id=item.pk, quantity=take)
                )
                remaining -= take
                if remaining == 0:
                    break
        _move_all(
            changes,
            kind=StockMovement.Kind.ALLOCATION,
            actor=actor,
            reference=reference,
        )
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
        changes = []
        for a in sorted(allocations, key=lambda a: a.stock_item_id):
            if a.quantity < 1:
                raise InvalidQuantity(_("Quantities must be at least one."))
            item = items[a.stock_item_id]
            changes.append((item, -a.quantity if consume else 0, -a.quantity))
        _move_all(changes, kind=kind, actor=actor, reference=reference, reason=reason)


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


def _add_stock(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: int,
    kind: str,
    actor,
    reference: str,
    reason: str,
) -> StockItem:
    """Add on-hand units (creating the stock row if needed) and announce the arrival."""
    units(quantity, what=_("A quantity to add"))
    item = lock_stock_rows_of(warehouse=warehouse, product_ids=[product.pk])[product.pk]
    _move(
        item=item,
        kind=kind,
        on_hand=quantity,
        actor=actor,
        reference=reference,
        reason=reason,
    )
    stock_increased(product_ids=[product.pk], reference=reference)
    return item


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
    with transaction.atomic():
        return _add_stock(
            product=product,
            warehouse=warehouse,
            quantity=quantity,
            kind=StockMovement.Kind.RECEIPT,
            actor=actor,
            reference=reference,
            reason=reason,
        )


def stock_restock_return(
    *, product: Product, warehouse: Warehouse, quantity: int, actor, reference: str
) -> StockItem:
    """A returned item passed inspection and goes back on the shelf."""
    with transaction.atomic():
        return _add_stock(
            product=product,
            warehouse=warehouse,
            quantity=quantity,
            kind=StockMovement.Kind.RETURN_RESTOCK,
            actor=actor,
            reference=reference,
            reason=_("Return restocked"),
        )


@dataclass(frozen=True)
class ReceiptLine:
    product: Product
    quantity: int


def receipt_create(
    *,
    warehouse: Warehouse,
    supplier: str,
    lines: list[ReceiptLine],
    actor,
    supplier_reference: str = "",
    note: str = "",
    submission_key: str = "",
) -> GoodsReceipt:
    """Book a supplier's delivery: a numbered receipt and a ledger row per line.

    With a ``submission_key`` (drawn with the page), the same page sent twice books
    once: the second call raises ``AlreadyRecorded`` naming the first receipt.
    """
    _require_perm(actor, "inventory.add_goodsreceipt", _("record goods receipts"))
    if not lines:
        raise InvalidQuantity(_("A receipt needs at least one line."))
    for line in lines:
        units(line.quantity, what=_("A received quantity"))
    if not (supplier or "").strip():
        raise InventoryError(_("Name the supplier."))
    key = submission(submission_key)
    if key and (earlier := GoodsReceipt.objects.filter(submission_key=key).first()):
        raise AlreadyRecorded(earlier)
    try:
        with transaction.atomic():
            receipt = GoodsReceipt.objects.create(
                warehouse=warehouse,
                supplier=supplier.strip(),
                supplier_reference=supplier_reference.strip(),
                note=note,
                received_by=actor,
                submission_key=key,
            )
            receipt.number = f"RCPT-{receipt.pk:06d}"
            receipt.save(update_fields=["number"])
            GoodsReceiptLine.objects.bulk_create(
                [
                    GoodsReceiptLine(
                        receipt=receipt, product=line.product, quantity=line.quantity
                    )
                    for line in lines
                ]
            )
            items = lock_stock_rows_of(
                warehouse=warehouse, product_ids=[line.product.pk for line in lines]
            )
            for line in lines:
                _move(
                    item=items[line.product.pk],
                    kind=StockMovement.Kind.RECEIPT,
                    on_hand=line.quantity,
                    actor=actor,
                    reference=receipt.number,
                    reason=_("Delivery from %(supplier)s")
                    % {"supplier": receipt.supplier},
                )
            _incoming_arrived(receipt=receipt, lines=lines)
            # One announcement for the whole delivery.
            stock_increased(
                product_ids=[line.product.pk for line in lines],
                reference=receipt.number,
            )
    except IntegrityError:
        # A second tab sent the same page at the same moment and won.
        if key and (earlier := GoodsReceipt.objects.filter(submission_key=key).first()):
            raise AlreadyRecorded(earlier) from None
        raise
    return receipt


def _incoming_arrived(*, receipt: GoodsReceipt, lines: list[ReceiptLine]) -> None:
    """Mark the expected deliveries this receipt brings as arrived, earliest first,
    as far as its units cover them (a partial delivery leaves the rest expected)."""
    received: dict[int, int] = {}
    for line in lines:
        received[line.product.pk] = received.get(line.product.pk, 0) + line.quantity
    expected = IncomingStock.objects.filter(
        warehouse=receipt.warehouse,
        product_id__in=list(received),
        arrived_at__isnull=True,
    ).order_by("expected_on", "pk")
    arrived = []
    for row in expected:
        if row.quantity <= received[row.product_id]:
            received[row.product_id] -= row.quantity
            arrived.append(row.pk)
    IncomingStock.objects.filter(pk__in=arrived).update(
        arrived_at=timezone.now(), receipt=receipt
    )


REASON_LENGTH = StockMovement._meta.get_field("reason").max_length


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InventoryError(_("Give a reason %(what)s.") % {"what": what})
    if len(reason) > REASON_LENGTH:
        raise InventoryError(
            _("Keep the reason to %(n)s characters.") % {"n": REASON_LENGTH}
        )
    return reason


def _short_of(item: StockItem, remove: int) -> InsufficientStock:
    return InsufficientStock(
        [
            Shortage(
                product_id=item.product_id,
                sku=item.product.sku,
                requested=remove,
                available=item.available,
            )
        ]
    )


def stock_adjust(
    *, stock_item: StockItem, delta: int, actor, reason: str, submission_key: str = ""
) -> StockItem:
    """Correct on-hand stock by hand (damage, found goods); needs a reason.

    With a ``submission_key``, the same page sent twice adjusts once
    (``AlreadyRecorded`` names the first movement).
    """
    _require_perm(actor, "inventory.adjust_stock", _("adjust stock"))
    reason = _reason(reason, _("for the adjustment"))
    if delta == 0:
        raise InvalidQuantity(_("An adjustment must change the quantity."))
    units(abs(delta) if isinstance(delta, int) else delta, what=_("An adjustment"))
    key = submission(submission_key)
    if key and (earlier := StockMovement.objects.filter(submission_key=key).first()):
        raise AlreadyRecorded(earlier)
    try:
        with transaction.atomic():
            item = lock_stock_items(ids=[stock_item.pk])[stock_item.pk]
            if item.on_hand + delta < item.allocated:
                raise _short_of(item, -delta)
            _move(
                item=item,
                kind=StockMovement.Kind.ADJUSTMENT,
                on_hand=delta,
                actor=actor,
                reference="",
                reason=reason,
                submission_key=key,
            )
            if delta > 0:
                stock_increased(product_ids=[item.product_id])
    except IntegrityError:
        if key and (
            earlier := StockMovement.objects.filter(submission_key=key).first()
        ):
            raise AlreadyRecorded(earlier) from None
        raise
    return item


def _reverse_movements(
    movements: list[StockMovement], *, actor, reason: str, reference: str
) -> None:
    """Undo ledger rows by writing their opposites (the ledger is never edited).

    Refused as a whole when a removal would leave fewer units on hand than are
    promised to orders (those units were allocated or shipped meanwhile).
    """
    items = lock_stock_items(ids={m.stock_item_id for m in movements})
    if earlier := StockMovement.objects.filter(reverses__in=movements).first():
        raise AlreadyRecorded(earlier)
    removing: dict[int, int] = defaultdict(int)
    for m in movements:
        removing[m.stock_item_id] += m.on_hand_delta
    shortages = [
        _short_of(items[pk], remove).shortages[0]
        for pk, remove in removing.items()
        if items[pk].on_hand - remove < items[pk].allocated
    ]
    if shortages:
        raise InsufficientStock(shortages)
    for m in sorted(movements, key=lambda m: (m.stock_item_id, m.pk)):
        _move(
            item=items[m.stock_item_id],
            kind=StockMovement.Kind.REVERSAL,
            on_hand=-m.on_hand_delta,
            actor=actor,
            reference=reference,
            reason=reason,
            reverses=m,
        )
    added = [
        items[m.stock_item_id].product_id for m in movements if m.on_hand_delta < 0
    ]
    if added:
        stock_increased(product_ids=added, reference=reference)


def receipt_reverse(*, receipt: GoodsReceipt, actor, reason: str) -> GoodsReceipt:
    """Take a wrongly booked delivery back out of stock, with a reason.

    Needs the permission to book receipts. Every line is reversed or none: if
    some of its units are already promised to orders or shipped, nothing changes
    and the error names them.
    """
    _require_perm(actor, "inventory.add_goodsreceipt", _("reverse goods receipts"))
    reason = _reason(reason, _("for reversing the receipt"))
    with transaction.atomic():
        receipt = GoodsReceipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.reversed_at:
            raise AlreadyRecorded(receipt)
        movements = list(
            StockMovement.objects.filter(
                kind=StockMovement.Kind.RECEIPT,
                reference=receipt.number,
                stock_item__warehouse_id=receipt.warehouse_id,
            ).select_related("stock_item__product")
        )
        _reverse_movements(
            movements,
            actor=actor,
            reason=reason,
            reference=receipt.number,
        )
        receipt.reversed_at = timezone.now()
        receipt.reversed_by = actor
        receipt.reversal_reason = reason
        receipt.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    return receipt


def adjustment_reverse(*, movement: StockMovement, actor, reason: str) -> StockMovement:
    """Undo a manual adjustment with a correcting movement and a reason.

    Needs the permission to adjust stock; an adjustment is reversed once.
    """
    _require_perm(actor, "inventory.adjust_stock", _("reverse adjustments"))
    reason = _reason(reason, _("for reversing the adjustment"))
    if movement.kind != StockMovement.Kind.ADJUSTMENT:
        raise InventoryError(
            _("Only manual adjustments can be reversed here; receipts from their page.")
        )
    with transaction.atomic():
        _reverse_movements(
            [movement], actor=actor, reason=reason, reference=f"ADJ-{movement.pk}"
        )
    return StockMovement.objects.get(reverses=movement)


def stock_item_ensure(*, product: Product, warehouse: Warehouse) -> StockItem:
    """The product's stock row in the warehouse, created empty if it has none."""
    item, _created = StockItem.objects.get_or_create(
        product=product, warehouse=warehouse
    )
    return item


def stock_item_configure(
    *,
    stock_item: StockItem,
    reorder_point: int,
    reorder_quantity: int,
    location: str | None = None,
) -> None:
    """Change the reorder levels (when an alert is raised, how much to reorder) and the bin."""
    units(reorder_point, least=0, what=_("A reorder point"))
    units(reorder_quantity, least=0, what=_("A reorder quantity"))
    fields = {"reorder_point": reorder_point, "reorder_quantity": reorder_quantity}
    if location is not None:
        fields["location"] = location.strip().upper()
    StockItem.objects.filter(pk=stock_item.pk).update(**fields)


def _require_perm(actor, perm: str, what: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise NotAllowed(_("You may not %(what)s.") % {"what": what})

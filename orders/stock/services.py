"""The inventory check: allocate stock to an order or backorder it, split, and fill backorders."""

from django.db import transaction
from django.utils.translation import gettext as _

from inventory import services as inventory
from inventory.exceptions import InsufficientStock
from inventory.models import StockItem
from orders.core.models import (
    ZERO,
    Order,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    PriceSource,
)
from orders.core.transitions import fire, lock_order, transition_check
from orders.delays.promise import promise_after_backorder
from orders.exceptions import InvalidOrder, OrderChanged, TransitionNotAllowed
from orders.money import pricing
from orders.money.payments import advance_if_paid
from orders.stock import facts
from ordersite.actors import staff_user


def allocations_of(order: Order) -> list[inventory.Allocation]:
    return [
        inventory.Allocation(
            key=a.line_id, stock_item_id=a.stock_item_id, quantity=a.quantity
        )
        for a in OrderLineAllocation.objects.filter(line__order=order)
    ]


def allocation_facts(allocations: list[inventory.Allocation]) -> list[dict]:
    """Allocations as a fact records them: line, SKU, stock item, warehouse code, units."""
    items = {
        item.pk: item
        for item in StockItem.objects.filter(
            pk__in={a.stock_item_id for a in allocations}
        ).select_related("product", "warehouse")
    }
    return [
        {
            "line_id": a.key,
            "sku": items[a.stock_item_id].product.sku,
            "stock_item_id": a.stock_item_id,
            "warehouse": items[a.stock_item_id].warehouse.code,
            "quantity": a.quantity,
        }
        for a in allocations
    ]


def _record_missing(lines: list[OrderLine], shortage: InsufficientStock) -> list[dict]:
    """Write each line's missing quantity; a product short on several lines is
    counted against its last lines first, so the sum per product is exact."""
    missing = {s.product_id: s.missing for s in shortage.shortages}
    for line in reversed(lines):
        line.backordered_quantity = min(line.quantity, missing.get(line.product_id, 0))
        if line.product_id in missing:
            missing[line.product_id] -= line.backordered_quantity
    OrderLine.objects.bulk_update(lines, ["backordered_quantity"])
    return [
        {"line_id": line.pk, "sku": line.sku, "missing": line.backordered_quantity}
        for line in lines
        if line.backordered_quantity
    ]


def _write_allocations(allocations: list[inventory.Allocation]) -> None:
    """The order lines' share of what inventory reserved, one row per stock item."""
    OrderLineAllocation.objects.bulk_create(
        [
            OrderLineAllocation(
                line_id=a.key, stock_item_id=a.stock_item_id, quantity=a.quantity
            )
            for a in allocations
        ]
    )


def order_check_inventory(*, order: Order, actor, authorised: bool = False) -> Order:
    """Allocate stock to every line, or backorder the order recording what is missing.

    On a backordered order that is still short, the missing quantities are
    brought up to date and ``TransitionNotAllowed`` says what is still missing.
    """
    still_short = None
    with transaction.atomic():
        order = lock_order(order, lines=True)
        lines = order.line_list()
        transition_check(
            order=order, name="allocate", actor=actor, authorised=authorised
        )
        requests = [
            inventory.AllocationRequest(
                key=line.pk, product_id=line.product_id, quantity=line.quantity
            )
            for line in lines
        ]
        try:
            # All or nothing: a shortage is raised before anything is written.
            allocations = inventory.stock_allocate(
                requests=requests, actor=staff_user(actor), reference=order.number
            )
        except InsufficientStock as shortage:
            report = _record_missing(lines, shortage)
            if order.status == OrderStatus.BACKORDERED:
                still_short = shortage
            else:
                source = fire(order, "backorder", actor=actor, authorised=authorised)
                promise_after_backorder(
                    order=order,
                    actor=actor,
                    product_ids=sorted({s.product_id for s in shortage.shortages}),
                )
                facts.order_backordered(
                    order=order, actor=actor, from_status=source, missing=report
                )
                return order
        else:
            _write_allocations(allocations)
            OrderLine.objects.filter(order=order).update(backordered_quantity=0)
            for line in lines:  # the lines the facts and emails read
                line.backordered_quantity = 0
            source = fire(order, "allocate", actor=actor, authorised=authorised)
            facts.order_allocated(
                order=order,
                actor=actor,
                from_status=source,
                allocations=allocation_facts(allocations),
            )
    if (
        still_short is None
        and order.status == OrderStatus.ALLOCATED
        and advance_if_paid(order=order, actor=actor)  # paid in advance
    ):
        order.refresh_from_db()
    if still_short is not None:
        raise TransitionNotAllowed(
            _("Order %(number)s is still short: %(shortage)s")
            % {"number": order.number, "shortage": still_short}
        )
    return order


def order_split_backorder(
    *, order: Order, actor, line_ids: list[int], authorised: bool = False
) -> Order:
    """Ship what is in stock now: the chosen lines' missing units move to a new order.

    Only on a backordered order and only for lines the staff member chose (never
    silently). The new order is already verified (it was verified as part of
    this one), waits for stock as ``backordered`` and is filled when stock
    arrives; this order runs its inventory check again. Returns the new order.
    ``authorised``: the customer chose it (a delay's choices).
    """
    with transaction.atomic():
        order = lock_order(order)
        transition_check(
            order=order, name="allocate", actor=actor, authorised=authorised
        )
        if order.status != OrderStatus.BACKORDERED:
            raise TransitionNotAllowed(_("Only a backordered order can be split."))
        lines = {
            line.pk: line
            for line in order.lines.select_related("product").filter(
                pk__in=line_ids, backordered_quantity__gt=0
            )
        }
        if not lines or set(lines) != set(line_ids):
            raise InvalidOrder(
                _("Choose lines of this order that are waiting for stock.")
            )
        if all(
            line.backordered_quantity == line.quantity for line in order.lines.all()
        ):
            raise InvalidOrder(
                _(
                    "Nothing of this order is in stock yet; there is nothing to ship now."
                )
            )
        child = Order.objects.create(
            customer=order.customer,
            split_from=order,
            channel=order.channel,
            channel_reference=order.channel_reference,
            shipping_address=order.shipping_address,
            shipping_country=order.shipping_country,
            billing_address=order.billing_address,
            currency=order.currency,
            ship_by=order.ship_by,
            estimated_delivery=order.estimated_delivery,
            # Verified as part of the original order; a new order of its own only
            # so that each part has a lifecycle, a shipment and a total.
            status=OrderStatus.BACKORDERED,
            first_checked_by=order.first_checked_by,
            first_checked_at=order.first_checked_at,
            verified_by=order.verified_by,
            verified_at=order.verified_at,
        )
        child.number = f"ORD-{child.pk:06d}"
        moved = []
        for line in lines.values():
            quantity = line.backordered_quantity
            OrderLine.objects.create(
                order=child,
                product=line.product,
                sku=line.sku,
                name=line.name,
                quantity=quantity,
                unit_price=line.unit_price,
                price_source=line.price_source,
                price_list=line.price_list,
                price_reason=line.price_reason,
                line_total=ZERO,
                backordered_quantity=quantity,
            )
            moved.append({"line_id": line.pk, "sku": line.sku, "quantity": quantity})
            if quantity == line.quantity:
                line.delete()
            else:
                line.quantity -= quantity
                line.backordered_quantity = 0
                line.line_total = pricing.cents(line.unit_price * line.quantity)
                line.save(
                    update_fields=["quantity", "backordered_quantity", "line_total"]
                )
        for o in (order, child):
            pricing.order_recalculate(order=o)
            o.save()
        facts.split_off(order=order, actor=actor, child=child, moved=moved)
        facts.split_from(order=child, actor=actor, parent=order)
    try:
        order_check_inventory(order=order, actor=actor, authorised=authorised)
    except TransitionNotAllowed:
        pass  # other lines are still short; the order stays backordered
    return child


def orders_fill_backorders(*, product_ids: list[int]) -> list[str]:
    """Stock arrived: allocate backordered orders waiting for these products.

    Oldest order first (by placement). An order that still cannot be served in
    full is skipped, so one large order does not hold up smaller ones behind
    it; it is tried again at the next arrival. Returns the numbers allocated.
    """
    waiting = (
        Order.objects.filter(
            status=OrderStatus.BACKORDERED, lines__product_id__in=product_ids
        )
        .distinct()
        .order_by("placed_at", "pk")
    )
    allocated = []
    for order in waiting:
        try:
            order_check_inventory(order=order, actor=None)
        except (TransitionNotAllowed, OrderChanged):
            continue  # still short, or someone else moved it meanwhile
        allocated.append(order.number)
    return allocated


# States a gift can still join the order in: before anything is picked.
GIFT_STATES = (
    OrderStatus.PLACED,
    OrderStatus.VERIFIED,
    OrderStatus.BACKORDERED,
    OrderStatus.ALLOCATED,
    OrderStatus.PAID,
)


def order_add_gift(*, order: Order, product, reason: str, actor) -> OrderLine:
    """Add one unit of ``product`` at no charge with ``reason`` (a manual price of
    zero); on an order that holds stock the unit is allocated at once, or nothing
    is added (``InsufficientStock``)."""
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        if order.status not in GIFT_STATES:
            raise TransitionNotAllowed(
                _("Order %(number)s is %(status)s: a gift can no longer join it.")
                % {
                    "number": order.number,
                    "status": order.get_status_display().lower(),
                }
            )
        if not product.active:
            raise InvalidOrder(
                _("%(sku)s is not sold any more.") % {"sku": product.sku}
            )
        line = OrderLine.objects.create(
            order=order,
            product=product,
            sku=product.sku,
            name=product.name,
            quantity=1,
            unit_price=ZERO,
            line_total=ZERO,
            price_source=PriceSource.MANUAL,
            price_reason=reason[:200],
        )
        if order.status in OrderStatus.HOLDS_STOCK:
            allocations = inventory.stock_allocate(
                requests=[
                    inventory.AllocationRequest(
                        key=line.pk, product_id=product.pk, quantity=1
                    )
                ],
                actor=staff_user(actor),
                reference=order.number,
            )
            _write_allocations(allocations)
        pricing.order_recalculate(order=order)
        order.save()
        facts.gift_added(order=order, actor=actor, line=line)
    return line

"""Fulfilment: start picking, pack by scanned SKUs, ship parcels, delivery and completion."""

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from inventory import services as inventory
from orders.core.models import Order, OrderLineAllocation
from orders.core.transitions import fire, lock_order, run_transition, transition_check
from orders.exceptions import InvalidOrder, PackMismatch
from orders.fulfilment import facts
from orders.fulfilment.models import Shipment, ShipmentLine
from orders.fulfilment.selectors import units_to_ship
from ordersite.actors import staff_user


def order_start_picking(*, order: Order, actor) -> Order:
    """The warehouse starts picking the order."""
    return run_transition(
        order, "start_picking", actor=actor, record=facts.picking_started
    )


# "SKU*3" or "SKU x 3": several units of one SKU typed at once.
SCAN_WITH_QUANTITY = re.compile(r"^(?P<sku>\S+?)\s*(?:\*|\s[X×])\s*(?P<qty>\d{1,4})$")


def parse_scans(scanned: str | Iterable[str]) -> dict[str, int]:
    """Count scanned or typed SKUs: one per line, or ``SKU x 3`` / ``SKU*3`` for several."""
    if isinstance(scanned, str):
        scanned = scanned.splitlines()
    counts: dict[str, int] = {}
    for raw in scanned:
        entry = raw.strip().upper()
        if not entry:
            continue
        sku, quantity = entry, 1
        match = SCAN_WITH_QUANTITY.match(entry)
        if match:
            sku, quantity = match["sku"].strip(), int(match["qty"])
        counts[sku] = counts.get(sku, 0) + quantity
    return counts


def pack_discrepancies(order: Order, scanned: dict[str, int]) -> list[dict]:
    """What differs between the scans and the units still to ship (empty when they agree).

    Each problem is ``{"sku", "scanned", "expected"}``; ``expected`` 0 means the
    SKU is not on the order (or has nothing left to ship).
    """
    remaining = units_to_ship(order)
    expected: dict[str, int] = {}
    for line in order.lines.all():
        if remaining[line.pk]:
            sku = line.sku.upper()
            expected[sku] = expected.get(sku, 0) + remaining[line.pk]
    problems = [
        {"sku": sku, "scanned": n, "expected": 0}
        for sku, n in scanned.items()
        if sku not in expected
    ]
    problems += [
        {"sku": sku, "scanned": scanned.get(sku, 0), "expected": needed}
        for sku, needed in expected.items()
        if scanned.get(sku, 0) != needed
    ]
    return problems


def describe_pack_problem(problem: dict) -> str:
    """One pack-check problem in words for the packer."""
    if not problem["expected"]:
        return _("%(sku)s is not on this order (scanned %(scanned)d).") % problem
    if problem["scanned"] < problem["expected"]:
        return _("%(sku)s: %(scanned)d of %(expected)d scanned.") % problem
    return _("%(sku)s: %(scanned)d scanned, the order needs %(expected)d.") % problem


def order_pack(*, order: Order, actor, scanned: str | Iterable[str]) -> Order:
    """The packer scanned every unit into the parcel; the order is packed.

    Each scan is checked against the order: a SKU that is not on it, or too many
    or too few units, refuses the pack, and the failed check is kept on the
    timeline (it feeds accuracy figures).
    """
    counts = parse_scans(scanned)
    if not counts:
        raise InvalidOrder(_("Scan or type the SKU of every unit you pack."))
    with transaction.atomic():
        order = lock_order(order)
        transition_check(order=order, name="pack", actor=actor)
        problems = pack_discrepancies(order, counts)
        if not problems:
            source = fire(order, "pack", actor=actor)
            facts.order_packed(
                order=order, actor=actor, from_status=source, scanned=counts
            )
            return order
    with transaction.atomic():
        facts.pack_check_failed(
            order=order, actor=actor, scanned=counts, problems=problems
        )
    raise PackMismatch(
        _("The parcel does not match order %(number)s:") % {"number": order.number},
        [describe_pack_problem(p) for p in problems],
    )


def _take_allocations(
    order: Order, parcel: dict[int, int], warehouse_id: int | None
) -> list[inventory.Allocation]:
    """The allocations that leave with a parcel, the chosen warehouse's first.

    Allocation rows shrink (or go) by what leaves, so what stays allocated is
    what the order still has to ship.
    """
    taken, gone, shrunk = [], [], []
    rows = OrderLineAllocation.objects.filter(
        line__order=order, line_id__in=list(parcel)
    ).select_related("stock_item")
    left = dict(parcel)
    for row in sorted(
        rows, key=lambda a: (a.stock_item.warehouse_id != warehouse_id, a.pk)
    ):
        quantity = min(row.quantity, left[row.line_id])
        if not quantity:
            continue
        left[row.line_id] -= quantity
        taken.append(
            inventory.Allocation(
                key=row.line_id, stock_item_id=row.stock_item_id, quantity=quantity
            )
        )
        if quantity == row.quantity:
            gone.append(row.pk)
        else:
            row.quantity -= quantity
            shrunk.append(row)
    # Two statements whatever the number of lines.
    OrderLineAllocation.objects.filter(pk__in=gone).delete()
    OrderLineAllocation.objects.bulk_update(shrunk, ["quantity"])
    return taken


def _parcel(lines: dict[int, int], remaining: dict[int, int]) -> dict[int, int]:
    """Validate what the person put in the parcel against what is left to ship."""
    parcel = {}
    for line_id, quantity in lines.items():
        if line_id not in remaining:
            raise InvalidOrder(_("A line in the parcel is not on this order."))
        if quantity < 0 or quantity > remaining[line_id]:
            raise InvalidOrder(
                _("A parcel can hold 0 to %(n)d units of a line with %(n)d left.")
                % {"n": remaining[line_id]}
            )
        if quantity:
            parcel[line_id] = quantity
    return parcel


def order_ship(
    *,
    order: Order,
    actor,
    carrier: str,
    tracking_number: str,
    lines: dict[int, int] | None = None,
    warehouse_id: int | None = None,
) -> Order:
    """Hand a parcel to a carrier: the shipment, its lines, the units out of stock.

    ``lines`` maps order-line ids to the units in this parcel; by default every
    unit still to ship. When nothing is left to ship the order is shipped;
    otherwise it stays packed and the customer hears that part is on its way.
    """
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or not tracking_number:
        raise InvalidOrder(_("A shipment needs a carrier and a tracking number."))
    with transaction.atomic():
        order = lock_order(order)
        # State and permission first; the tracked-shipment condition holds once
        # the shipment below exists and is checked again by _fire.
        transition_check(order=order, name="ship", actor=actor, check_conditions=False)
        remaining = units_to_ship(order)
        parcel = _parcel(remaining if lines is None else lines, remaining)
        if not parcel:
            raise InvalidOrder(_("Choose at least one unit to ship."))
        shipment = Shipment.objects.create(
            order=order,
            carrier=carrier,
            tracking_number=tracking_number,
            created_by=staff_user(actor),
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=n)
                for line_id, n in parcel.items()
            ]
        )
        inventory.stock_ship(
            allocations=_take_allocations(order, parcel, warehouse_id),
            actor=staff_user(actor),
            reference=order.number,
        )
        complete = not any(
            remaining[line_id] - parcel.get(line_id, 0) for line_id in remaining
        )
        facts.parcel_shipped(
            order=order, actor=actor, shipment=shipment, complete=complete
        )
        if complete:
            source = fire(order, "ship", actor=actor)
            facts.order_shipped(
                order=order, actor=actor, from_status=source, shipment=shipment
            )
    return order


def order_mark_delivered(*, order: Order, actor) -> Order:
    """The carrier delivered the order."""
    return run_transition(
        order, "mark_delivered", actor=actor, record=facts.order_delivered
    )


def order_complete(
    *,
    order: Order,
    actor,
    rating: int | None = None,
    after_days: int | None = None,
    authorised: bool = False,
) -> Order:
    """The customer received everything and is satisfied; the order is complete.

    ``rating`` when the customer confirmed it from their page (the caller has
    ``authorised`` them), ``after_days`` when it completes by itself.
    """
    with transaction.atomic():
        order = lock_order(order)
        source = fire(order, "complete", actor=actor, authorised=authorised)
        facts.order_completed(
            order=order,
            actor=actor,
            from_status=source,
            rating=rating,
            after_days=after_days,
        )
    return order

"""The only way an order changes.

Every function here runs in one transaction: it locks the order row, checks
that the order is still in the state the caller saw, checks the transition's
conditions and the actor's permission, runs the django-fsm transition, saves,
writes the ``OrderEvent`` and touches stock through ``inventory.services``.
Customer notifications are queued with ``transaction.on_commit``.

``actor`` is the staff user acting, or ``None`` when the system acts (a
scheduled task, a stock arrival); the system is not subject to permissions.
Each function returns the updated order; the instance passed in is not changed.
"""

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from inventory import services as inventory
from inventory.exceptions import InsufficientStock
from inventory.models import Product
from orders import conditions, events, invoices, payments, pricing
from orders.exceptions import (
    InvalidOrder,
    OrderChanged,
    PackMismatch,
    TransitionForbidden,
    TransitionNotAllowed,
)
from orders.models import (
    ZERO,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineAllocation,
    OrderNote,
    OrderStatus,
    Payment,
    PriceSource,
    Shipment,
    ShipmentLine,
)
from orders.notifications import Kind, notify_on_commit
from orders.permissions import perm
from orders.verification import checklist


# ------------------------------------------------------------------------------
# Placement
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineInput:
    """A line to place. ``unit_price`` set means a manual price, which needs a reason."""

    product: Product
    quantity: int
    unit_price: Decimal | None = None
    price_reason: str = ""


def sku_of(line: LineInput) -> dict:
    return {"sku": line.product.sku}


def to_money(value, *, what: str) -> Decimal:
    """``value`` as a Decimal rounded to cents; floats are refused, never rounded silently."""
    if isinstance(value, float) or value is None:
        raise InvalidOrder(
            _("%(what)s must be an exact amount (Decimal), not %(value)r.")
            % {"what": what, "value": value}
        )
    try:
        return pricing.cents(Decimal(value))
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidOrder(
            _("%(what)s is not an amount: %(value)r.") % {"what": what, "value": value}
        ) from None


def _price_line(*, line: LineInput, customer: Customer, actor) -> OrderLine:
    """Price one line: a manual price (with its reason) or what the pricing rules say."""
    if line.quantity < 1:
        raise InvalidOrder(
            _("%(sku)s: the quantity must be at least 1.") % sku_of(line)
        )
    if not line.product.active:
        raise InvalidOrder(_("%(sku)s is not sold any more.") % sku_of(line))
    fields = {
        "product": line.product,
        "sku": line.product.sku,
        "name": line.product.name,
    }
    if line.unit_price is not None:
        price = to_money(line.unit_price, what=_("The price of %(sku)s") % sku_of(line))
        if price < 0:
            raise InvalidOrder(_("%(sku)s: a price cannot be negative.") % sku_of(line))
        if not line.price_reason.strip():
            raise InvalidOrder(
                _("%(sku)s: a manual price needs a reason.") % sku_of(line)
            )
        if actor is not None and not actor.has_perm(perm("set_manual_price")):
            raise TransitionForbidden(_("You may not set manual prices."))
        return OrderLine(
            **fields,
            quantity=line.quantity,
            unit_price=price,
            price_source=PriceSource.MANUAL,
            price_reason=line.price_reason.strip(),
        )
    rule = pricing.price_resolve(
        product=line.product, customer=customer, quantity=line.quantity
    )
    return OrderLine(
        **fields,
        quantity=line.quantity,
        unit_price=rule.unit_price,
        price_source=rule.source,
        price_list=rule.price_list,
    )


def order_place(
    *,
    customer: Customer,
    channel: str,
    lines: list[LineInput],
    actor=None,
    channel_reference: str = "",
    shipping_total: Decimal = ZERO,
    ship_by=None,
    estimated_delivery=None,
    shipping_address: str = "",
    shipping_country: str = "",
) -> Order:
    """Create an order with its lines priced by the pricing rules, in state ``placed``.

    The order ships to the customer's address on file unless another one is given.
    """
    if not lines:
        raise InvalidOrder(_("An order needs at least one line."))
    priced = [_price_line(line=line, customer=customer, actor=actor) for line in lines]
    with transaction.atomic():
        order = Order.objects.create(
            customer=customer,
            channel=channel,
            channel_reference=channel_reference,
            shipping_address=shipping_address.strip() or customer.shipping_address,
            shipping_country=(
                shipping_country.strip() or customer.shipping_country
            ).upper(),
            billing_address=customer.billing_address or customer.shipping_address,
            currency=settings.ORDERS_CURRENCY,
            shipping_total=to_money(shipping_total, what=_("Shipping")),
            ship_by=ship_by,
            estimated_delivery=estimated_delivery,
        )
        # The number comes from the primary key: unique and free of races.
        order.number = f"ORD-{order.pk:06d}"
        for line in priced:
            line.order = order
            line.line_total = ZERO  # worked out by order_recalculate
        OrderLine.objects.bulk_create(priced)
        pricing.order_recalculate(order=order)
        order.save()
        events.order_placed(order=order, actor=actor)
        notify_on_commit(order=order, kind=Kind.RECEIVED)
    return order


def order_correct(
    *,
    order: Order,
    actor,
    reason: str,
    quantities: dict[int, int] | None = None,
    add: Iterable[LineInput] = (),
    shipping_address: str | None = None,
    shipping_country: str | None = None,
    seen: Collection[str] = (),
) -> Order:
    """Correct an order still waiting for verification: quantities, lines, address.

    A quantity of 0 removes a line. Changed lines are priced by the rules again
    (a manual price stays as it was); totals and tax are recalculated. A first
    check already made no longer counts: what it confirmed has changed.
    ``seen`` holds the checklist keys of the order as the person saw it; if any
    has changed since (someone else corrected it), nothing is changed.
    """
    reason = _require_reason(reason, "correct")
    with transaction.atomic():
        order = _lock(order)
        if order.status != OrderStatus.PLACED:
            raise TransitionNotAllowed(
                _(
                    "Order %(number)s is %(status)s; only orders waiting for verification can be corrected."
                )
                % {"number": order.number, "status": order.get_status_display().lower()}
            )
        if actor is not None and not actor.has_perm(perm("check_order")):
            raise TransitionForbidden(_("You may not correct orders."))
        _refuse_if_changed(order, checklist(order), set(seen))
        lines = {line.pk: line for line in order.lines.select_related("product")}
        changes = []
        for line_id, quantity in (quantities or {}).items():
            line = lines.get(line_id)
            if line is None:
                raise InvalidOrder(_("A line to correct is not on this order."))
            if quantity == line.quantity:
                continue
            if quantity < 0:
                raise InvalidOrder(
                    _("%(sku)s: the quantity cannot be negative.") % {"sku": line.sku}
                )
            if quantity == 0:
                line.delete()
                del lines[line_id]
                changes.append(_("removed %(sku)s") % {"sku": line.sku})
                continue
            manual = line.price_source == PriceSource.MANUAL
            priced = _price_line(
                line=LineInput(
                    product=line.product,
                    quantity=quantity,
                    unit_price=line.unit_price if manual else None,
                    price_reason=line.price_reason,
                ),
                customer=order.customer,
                actor=None,  # keeping a manual price someone set is not setting one
            )
            changes.append(
                _("%(sku)s %(old)d → %(new)d")
                % {"sku": line.sku, "old": line.quantity, "new": quantity}
            )
            for field in ("quantity", "unit_price", "price_source", "price_list"):
                setattr(line, field, getattr(priced, field))
            line.save(
                update_fields=["quantity", "unit_price", "price_source", "price_list"]
            )
        for new in add:
            priced = _price_line(line=new, customer=order.customer, actor=actor)
            priced.order, priced.line_total = order, ZERO
            priced.save()
            lines[priced.pk] = priced
            changes.append(
                _("added %(qty)d × %(sku)s") % {"qty": new.quantity, "sku": priced.sku}
            )
        if not lines:
            raise InvalidOrder(
                _("An order needs at least one line; cancel it instead.")
            )
        if (
            shipping_address is not None
            and shipping_address.strip() != order.shipping_address
        ):
            order.shipping_address = shipping_address.strip()
            changes.append(_("shipping address"))
        if shipping_country and shipping_country.upper() != order.shipping_country:
            order.shipping_country = shipping_country.upper()
            changes.append(_("country %(c)s") % {"c": order.shipping_country})
        if not changes:
            raise InvalidOrder(_("Nothing was changed."))
        pricing.order_recalculate(order=order)
        check_reset = order.first_checked_by_id is not None
        order.first_checked_by, order.first_checked_at = None, None
        order.save()
        events.order_corrected(
            order=order,
            actor=actor,
            reason=reason,
            changes=changes,
            check_reset=check_reset,
        )
    return order


# ------------------------------------------------------------------------------
# The machinery every transition shares
# ------------------------------------------------------------------------------
def _lock(order: Order) -> Order:
    """Lock the order's row and make sure it is still in the state the caller saw."""
    fresh = (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=order.pk)
    )
    if fresh.status != order.status:
        raise OrderChanged(
            number=fresh.number, expected=order.status, actual=fresh.status
        )
    return fresh


def _label(order: Order, name: str) -> str:
    transition = getattr(order, name)._django_fsm.get_transition(order.status)
    if transition is not None:
        return str(transition.custom.get("label", name)).lower()
    return name.replace("_", " ")


def transition_check(
    *, order: Order, name: str, actor, check_conditions: bool = True
) -> None:
    """Raise unless ``actor`` may run transition ``name`` on ``order`` as it is now."""
    method = getattr(order, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            _("Order %(number)s is %(status)s; “%(move)s” is not possible from there.")
            % {
                "number": order.number,
                "status": order.get_status_display().lower(),
                "move": name.replace("_", " "),
            }
        )
    reasons = conditions.unmet(order, method, before_input=not check_conditions)
    if reasons:
        raise TransitionNotAllowed(
            _("Order %(number)s cannot %(move)s yet:")
            % {"number": order.number, "move": _label(order, name)},
            reasons,
        )
    if actor is not None:
        transition = method._django_fsm.get_transition(order.status)
        if not transition.has_perm(order, actor):
            raise TransitionForbidden(
                _("You may not “%(move)s” on order %(number)s.")
                % {"move": _label(order, name), "number": order.number}
                + (
                    _(
                        " The second check must be made by someone other than the first checker."
                    )
                    if name == "verify" and actor.pk == order.first_checked_by_id
                    else ""
                )
            )


def _fire(
    order: Order,
    name: str,
    *,
    actor,
    message: str = "",
    data: dict | None = None,
    customer_visible: bool = True,
    notify: str | None = None,
    **kwargs,
) -> OrderEvent:
    """Run transition ``name`` on a locked order, save it and write the event."""
    transition_check(order=order, name=name, actor=actor)
    source = order.status
    getattr(order, name)(**kwargs)
    try:
        order.save()
    except ConcurrentTransition as exc:
        # Only reachable if the row lock was bypassed; the conditional update still
        # guarantees one winner.
        raise OrderChanged(
            number=order.number, expected=source, actual="changed"
        ) from exc
    event = events.status_changed(
        order=order,
        actor=actor,
        from_status=source,
        message=message,
        data=data,
        customer_visible=customer_visible,
    )
    if notify:
        notify_on_commit(order=order, kind=notify)
    return event


def _transition(order: Order, name: str, *, actor, **fire) -> Order:
    """Lock the order and run one transition that has no side effects of its own."""
    with transaction.atomic():
        order = _lock(order)
        _fire(order, name, actor=actor, **fire)
    return order


def available_transitions(*, order: Order, actor) -> list[str]:
    """Names of the transitions ``actor`` may run on ``order`` now (for buttons and the admin).

    A move whose only unmet conditions are met by what the person enters (the
    tracking number to ship) is offered; the service checks them again.
    """
    names = []
    for name in sorted(TRANSITION_SERVICES):
        method = getattr(order, name)
        transition = method._django_fsm.get_transition(order.status)
        if transition is None or not can_proceed(method, check_conditions=False):
            continue
        if conditions.unmet(order, method, before_input=True):
            continue
        if actor is None or transition.has_perm(order, actor):
            names.append(name)
    return names


# ------------------------------------------------------------------------------
# Verification (four-eyes)
# ------------------------------------------------------------------------------
def _refuse_if_changed(order: Order, items, seen: set[str]) -> None:
    """Refuse when something the person saw on the checklist has changed since."""
    if seen - {item.key for item in items}:
        raise InvalidOrder(
            _(
                "Order %(number)s changed since the checklist was opened; check it again."
            )
            % {"number": order.number}
        )


def order_record_first_check(*, order: Order, actor, checked: Collection[str]) -> Order:
    """The first staff member ticked every item of the checklist: details, quantities, prices.

    ``checked`` holds the keys of the ticked items (``orders.verification``); a
    key for an item that has changed since the page was drawn does not count.
    """
    with transaction.atomic():
        order = _lock(order)
        transition_check(order=order, name="record_first_check", actor=actor)
        items = checklist(order)
        ticked = set(checked)
        _refuse_if_changed(order, items, ticked)
        missing = [item.heading for item in items if item.key not in ticked]
        if missing:
            raise InvalidOrder(
                _("Tick every item before recording the check; not ticked: %(items)s.")
                % {"items": "; ".join(missing)}
            )
        order.record_first_check(by=actor)
        order.save()
        events.first_check_recorded(
            order=order,
            actor=actor,
            items=[item.heading for item in items],
            price_warnings=[item.warning for item in items if item.warning],
        )
    return order


def order_verify(*, order: Order, actor) -> Order:
    """A second, different staff member confirms the check; the order is verified."""
    with transaction.atomic():
        order = _lock(order)
        # Read under the lock: the audit must say whether a second check happened.
        waived = order.first_checked_by_id is None
        _fire(
            order,
            "verify",
            actor=actor,
            by=actor,
            message="Order verified (single check)."
            if waived
            else "Order details confirmed.",
            data={"second_check_waived": waived},
            notify=Kind.VERIFIED,
        )
    return order


def order_send_back(*, order: Order, actor, reason: str, note: str = "") -> Order:
    """The second checker sends the order back to the first with what was wrong (recorded)."""
    from orders.models import VerificationIssue

    if reason not in VerificationIssue.Reason.values:
        raise InvalidOrder(_("Say what was wrong."))
    with transaction.atomic():
        order = _lock(order)
        first_checker = order.first_checked_by
        _fire(
            order,
            "send_back",
            actor=actor,
            message=_("Sent back to %(who)s: %(reason)s. %(note)s")
            % {
                "who": first_checker.get_username() if first_checker else "-",
                "reason": VerificationIssue.Reason(reason).label,
                "note": note,
            },
            data={"reason": reason, "note": note},
            customer_visible=False,
        )
        VerificationIssue.objects.create(
            order=order,
            reason=reason,
            note=note.strip(),
            first_checker=first_checker,
            found_by=actor,
        )
    return order


# ------------------------------------------------------------------------------
# Inventory check
# ------------------------------------------------------------------------------
def _allocations_of(order: Order) -> list[inventory.Allocation]:
    return [
        inventory.Allocation(
            key=a.line_id, stock_item_id=a.stock_item_id, quantity=a.quantity
        )
        for a in OrderLineAllocation.objects.filter(line__order=order)
    ]


def _describe(allocations: list[inventory.Allocation]) -> list[dict]:
    return [
        {"line_id": a.key, "stock_item_id": a.stock_item_id, "quantity": a.quantity}
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


def order_check_inventory(*, order: Order, actor) -> Order:
    """Allocate stock to every line, or backorder the order recording what is missing.

    On a backordered order that is still short, the missing quantities are
    brought up to date and ``TransitionNotAllowed`` says what is still missing.
    """
    still_short = None
    with transaction.atomic():
        order = _lock(order)
        lines = list(order.lines.select_related("product").order_by("pk"))
        transition_check(order=order, name="allocate", actor=actor)
        requests = [
            inventory.AllocationRequest(
                key=line.pk, product_id=line.product_id, quantity=line.quantity
            )
            for line in lines
        ]
        try:
            with transaction.atomic():
                allocations = inventory.stock_allocate(
                    requests=requests, actor=actor, reference=order.number
                )
        except InsufficientStock as shortage:
            report = _record_missing(lines, shortage)
            if order.status == OrderStatus.BACKORDERED:
                still_short = shortage
            else:
                events.backordered(order=order, actor=actor, missing=report)
                _fire(order, "backorder", actor=actor, notify=Kind.BACKORDERED)
                return order
        else:
            OrderLineAllocation.objects.bulk_create(
                [
                    OrderLineAllocation(
                        line_id=a.key,
                        stock_item_id=a.stock_item_id,
                        quantity=a.quantity,
                    )
                    for a in allocations
                ]
            )
            OrderLine.objects.filter(order=order).update(backordered_quantity=0)
            events.stock_allocated(
                order=order, actor=actor, allocations=_describe(allocations)
            )
            was_backordered = order.status == OrderStatus.BACKORDERED
            _fire(
                order,
                "allocate",
                actor=actor,
                message=_("Stock arrived; your order is moving again.")
                if was_backordered
                else "",
                notify=Kind.MOVING_AGAIN if was_backordered else None,
            )
    if still_short is None and order.status == OrderStatus.ALLOCATED:
        payments.advance_if_paid(order=order, actor=actor)  # paid in advance
        order.refresh_from_db()
    if still_short is not None:
        raise TransitionNotAllowed(
            _("Order %(number)s is still short: %(shortage)s")
            % {"number": order.number, "shortage": still_short}
        )
    return order


def order_split_backorder(*, order: Order, actor, line_ids: list[int]) -> Order:
    """Ship what is in stock now: the chosen lines' missing units move to a new order.

    Only on a backordered order and only for lines the staff member chose (never
    silently). The new order is already verified (it was verified as part of
    this one), waits for stock as ``backordered`` and is filled when stock
    arrives; this order runs its inventory check again. Returns the new order.
    """
    with transaction.atomic():
        order = _lock(order)
        transition_check(order=order, name="allocate", actor=actor)
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
        events.split_off(order=order, actor=actor, child=child, moved=moved)
        events.split_from(order=child, actor=actor, parent=order)
        notify_on_commit(order=order, kind=Kind.SPLIT)
    try:
        order_check_inventory(order=order, actor=actor)
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


# ------------------------------------------------------------------------------
# Payment
# ------------------------------------------------------------------------------
def order_mark_paid(*, order: Order, actor) -> Order:
    """Captured payments cover the total: the order is paid and invoiced."""
    with transaction.atomic():
        order = _lock(order)
        _fire(
            order,
            "mark_paid",
            actor=actor,
            message=_("Payment received."),
            notify=Kind.PAID,
        )
        invoice = invoices.invoice_issue(order=order)
        events.document_issued(order=order, document=invoice)
    return order


# ------------------------------------------------------------------------------
# Fulfilment and shipment
# ------------------------------------------------------------------------------
def order_start_picking(*, order: Order, actor) -> Order:
    """The warehouse starts picking the order."""
    return _transition(
        order, "start_picking", actor=actor, message="We are preparing your order."
    )


# "SKU*3" or "SKU x 3": several units of one SKU typed at once.
SCAN_WITH_QUANTITY = re.compile(r"^(?P<sku>\S+?)\s*(?:\*|\s[X×])\s*(?P<qty>\d{1,4})$")


def units_to_ship(order: Order) -> dict[int, int]:
    """Per order-line id, the units not yet in a shipment."""
    shipped: dict[int, int] = {}
    for line_id, quantity in ShipmentLine.objects.filter(
        order_line__order=order
    ).values_list("order_line_id", "quantity"):
        shipped[line_id] = shipped.get(line_id, 0) + quantity
    return {
        line.pk: line.quantity - shipped.get(line.pk, 0) for line in order.lines.all()
    }


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


def pack_discrepancies(order: Order, scanned: dict[str, int]) -> list[str]:
    """What differs between the scans and the units still to ship (empty when they agree)."""
    remaining = units_to_ship(order)
    expected: dict[str, int] = {}
    for line in order.lines.all():
        if remaining[line.pk]:
            sku = line.sku.upper()
            expected[sku] = expected.get(sku, 0) + remaining[line.pk]
    problems = [
        _("%(sku)s is not on this order (scanned %(n)d).") % {"sku": sku, "n": n}
        for sku, n in scanned.items()
        if sku not in expected
    ]
    for sku, needed in expected.items():
        got = scanned.get(sku, 0)
        if got < needed:
            problems.append(
                _("%(sku)s: %(got)d of %(needed)d scanned.")
                % {"sku": sku, "got": got, "needed": needed}
            )
        elif got > needed:
            problems.append(
                _("%(sku)s: %(got)d scanned, the order needs %(needed)d.")
                % {"sku": sku, "got": got, "needed": needed}
            )
    return problems


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
        order = _lock(order)
        transition_check(order=order, name="pack", actor=actor)
        problems = pack_discrepancies(order, counts)
        if not problems:
            _fire(
                order,
                "pack",
                actor=actor,
                message="Your order is packed.",
                data={"scanned": counts},
            )
            return order
    with transaction.atomic():
        events.pack_check_failed(
            order=order, actor=actor, scanned=counts, problems=problems
        )
    raise PackMismatch(
        _("The parcel does not match order %(number)s:") % {"number": order.number},
        problems,
    )


def _take_allocations(
    order: Order, parcel: dict[int, int], warehouse_id: int | None
) -> list[inventory.Allocation]:
    """The allocations that leave with a parcel, the chosen warehouse's first.

    Allocation rows shrink (or go) by what leaves, so what stays allocated is
    what the order still has to ship.
    """
    taken = []
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
            row.delete()
        else:
            OrderLineAllocation.objects.filter(pk=row.pk).update(
                quantity=row.quantity - quantity
            )
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
        order = _lock(order)
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
            created_by=actor,
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=n)
                for line_id, n in parcel.items()
            ]
        )
        inventory.stock_ship(
            allocations=_take_allocations(order, parcel, warehouse_id),
            actor=actor,
            reference=order.number,
        )
        events.shipment_created(order=order, actor=actor, shipment=shipment)
        if any(remaining[line_id] - parcel.get(line_id, 0) for line_id in remaining):
            notify_on_commit(
                order=order, kind=Kind.PARTLY_SHIPPED, extra={"parcel": shipment}
            )
        else:
            _fire(
                order,
                "ship",
                actor=actor,
                message=_("Your order has shipped."),
                data={"shipment_id": shipment.pk},
                notify=Kind.SHIPPED,
            )
    return order


def order_mark_delivered(*, order: Order, actor) -> Order:
    """The carrier delivered the order."""
    return _transition(
        order,
        "mark_delivered",
        actor=actor,
        message="Delivered.",
        notify=Kind.DELIVERED,
    )


def order_complete(*, order: Order, actor, message: str = "") -> Order:
    """The customer received everything and is satisfied; the order is complete."""
    return _transition(
        order,
        "complete",
        actor=actor,
        message=message or "Order complete. Thank you!",
        notify=Kind.COMPLETED,
    )


# ------------------------------------------------------------------------------
# Hold and cancel
# ------------------------------------------------------------------------------
def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason to %(what)s the order.") % {"what": what})
    return reason


def order_hold(*, order: Order, actor, reason: str) -> Order:
    """Stop work on the order until someone releases it; the reason stays internal."""
    reason = _require_reason(reason, "hold")
    return _transition(
        order,
        "hold",
        actor=actor,
        message=f"Put on hold: {reason}",
        data={"reason": reason},
        customer_visible=False,
    )


def order_release_hold(*, order: Order, actor) -> Order:
    """Resume work where the order was held."""
    return _transition(
        order,
        "release_hold",
        actor=actor,
        message="Hold released.",
        customer_visible=False,
    )


def order_cancel(*, order: Order, actor, reason: str) -> Order:
    """Cancel before shipment: releases allocated stock and makes captured payments due for refund."""
    reason = _require_reason(reason, "cancel")
    with transaction.atomic():
        order = _lock(order)
        transition_check(order=order, name="cancel", actor=actor)
        if order.holds_stock():
            allocations = _allocations_of(order)
            if allocations:
                inventory.stock_release(
                    allocations=allocations,
                    actor=actor,
                    reference=order.number,
                    reason=reason,
                )
                OrderLineAllocation.objects.filter(line__order=order).delete()
                events.stock_released(
                    order=order,
                    actor=actor,
                    allocations=_describe(allocations),
                    reason=reason,
                )
        for payment in order.payments.filter(
            status__in=[Payment.Status.PENDING, Payment.Status.AUTHORIZED]
        ):
            payments.payment_void(payment=payment, actor=None, reason=reason)
        held = payments.refundable_total(order=order)
        if held > 0:
            # Everything captured goes back to where it came from; the key makes a
            # repeated cancellation (or a retried request) refund once.
            payments.payment_refund(
                order=order,
                amount=held,
                reason=_("Order cancelled: %(reason)s") % {"reason": reason},
                idempotency_key=f"cancel:{order.pk}",
                actor=None,
            )
        _fire(
            order,
            "cancel",
            actor=actor,
            message=f"Order cancelled: {reason}",
            data={"reason": reason},
            notify=Kind.CANCELLED,
        )
    return order


# ------------------------------------------------------------------------------
# Notes and notifications
# ------------------------------------------------------------------------------
def order_add_note(*, order: Order, actor, body: str) -> OrderNote:
    """Add an internal note; it appears on the staff timeline only."""
    body = (body or "").strip()
    if not body:
        raise InvalidOrder(_("A note cannot be empty."))
    with transaction.atomic():
        note = OrderNote.objects.create(order=order, author=actor, body=body)
        events.note_added(order=order, actor=actor, note=note)
    return note


# ------------------------------------------------------------------------------
# Dispatch by transition name (admin, bulk actions)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransitionService:
    """How to run a transition by name: the service and the inputs it needs."""

    func: Callable[..., Order]
    inputs: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


TRANSITION_SERVICES: dict[str, TransitionService] = {
    "record_first_check": TransitionService(order_record_first_check, ("checked",)),
    "verify": TransitionService(order_verify),
    "send_back": TransitionService(order_send_back, ("reason",), ("note",)),
    "allocate": TransitionService(order_check_inventory),
    "backorder": TransitionService(order_check_inventory),
    "mark_paid": TransitionService(order_mark_paid),
    "start_picking": TransitionService(order_start_picking),
    "pack": TransitionService(order_pack, ("scanned",)),
    "ship": TransitionService(
        order_ship, ("carrier", "tracking_number"), ("lines", "warehouse_id")
    ),
    "mark_delivered": TransitionService(order_mark_delivered),
    "complete": TransitionService(order_complete),
    "hold": TransitionService(order_hold, ("reason",)),
    "release_hold": TransitionService(order_release_hold),
    "cancel": TransitionService(order_cancel, ("reason",)),
}


def order_transition(*, order: Order, name: str, actor, **inputs) -> Order:
    """Run the service behind transition ``name`` with the inputs it needs."""
    try:
        service = TRANSITION_SERVICES[name]
    except KeyError:
        raise TransitionNotAllowed(
            _("There is no transition called %(name)r.") % {"name": name}
        ) from None
    missing = [
        field for field in service.inputs if not str(inputs.get(field, "")).strip()
    ]
    if missing:
        raise InvalidOrder(
            _("Please give: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    given = {k: inputs[k] for k in service.inputs}
    given.update({k: inputs[k] for k in service.optional if k in inputs})
    return service.func(order=order, actor=actor, **given)

"""Verification: correct an order, the first check on the checklist, the second check, send back.

Four-eyes: the first check is recorded by one person ticking every item of the
checklist (``orders.verification.checklist``); a second, different person
confirms it (the order is verified) or sends it back with what was wrong.
"""

from collections.abc import Collection, Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from orders.core.models import ZERO, Order, OrderStatus, PriceSource
from orders.core.services import require_reason
from orders.core.transitions import fire, lock_order, transition_check
from orders.exceptions import InvalidOrder, TransitionNotAllowed
from orders.money import pricing
from orders.money.pricing import LineInput, price_line, quantity_in_range
from orders.permissions import require
from orders.verification import facts
from orders.verification.checklist import checklist
from orders.verification.models import VerificationIssue
from ordersite.actors import staff_user


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
    reason = require_reason(reason, _("correct"))
    with transaction.atomic():
        order = lock_order(order)
        if order.status != OrderStatus.PLACED:
            raise TransitionNotAllowed(
                _(
                    "Order %(number)s is %(status)s; only orders waiting for verification can be corrected."
                )
                % {"number": order.number, "status": order.get_status_display().lower()}
            )
        require(actor, "check_order", _("correct orders"))
        _refuse_if_changed(order, checklist(order), set(seen))
        lines = {line.pk: line for line in order.lines.select_related("product")}
        changed, added, removed = [], [], []
        for line_id, quantity in (quantities or {}).items():
            line = lines.get(line_id)
            if line is None:
                raise InvalidOrder(_("A line to correct is not on this order."))
            if quantity == line.quantity:
                continue
            if quantity != 0:
                quantity_in_range(quantity, sku=line.sku)
            if quantity == 0:
                removed.append(
                    {"line_id": line.pk, "sku": line.sku, "quantity": line.quantity}
                )
                line.delete()
                del lines[line_id]
                continue
            manual = line.price_source == PriceSource.MANUAL
            priced = price_line(
                line=LineInput(
                    product=line.product,
                    quantity=quantity,
                    unit_price=line.unit_price if manual else None,
                    price_reason=line.price_reason,
                ),
                customer=order.customer,
                actor=None,  # keeping a manual price someone set is not setting one
            )
            changed.append(
                {
                    "line_id": line.pk,
                    "sku": line.sku,
                    "old": line.quantity,
                    "new": quantity,
                }
            )
            for field in ("quantity", "unit_price", "price_source", "price_list"):
                setattr(line, field, getattr(priced, field))
            line.save(
                update_fields=["quantity", "unit_price", "price_source", "price_list"]
            )
        for new in add:
            priced = price_line(line=new, customer=order.customer, actor=actor)
            priced.order, priced.line_total = order, ZERO
            priced.save()
            lines[priced.pk] = priced
            added.append(
                {"line_id": priced.pk, "sku": priced.sku, "quantity": new.quantity}
            )
        if not lines:
            raise InvalidOrder(
                _("An order needs at least one line; cancel it instead.")
            )
        address_changed = (
            shipping_address is not None
            and shipping_address.strip() != order.shipping_address
        )
        if address_changed:
            order.shipping_address = shipping_address.strip()
        country = None
        if shipping_country and shipping_country.upper() != order.shipping_country:
            country = [order.shipping_country, shipping_country.upper()]
            order.shipping_country = shipping_country.upper()
        if not (changed or added or removed or address_changed or country):
            raise InvalidOrder(_("Nothing was changed."))
        pricing.order_recalculate(order=order)
        check_reset = order.first_checked_by_id is not None
        order.first_checked_by, order.first_checked_at = None, None
        order.save()
        facts.order_corrected(
            order=order,
            actor=actor,
            reason=reason,
            quantities=changed,
            added=added,
            removed=removed,
            address_changed=address_changed,
            country=country,
            check_reset=check_reset,
        )
    return order


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

    ``checked`` holds the keys of the ticked items (``verification.checklist``); a
    key for an item that has changed since the page was drawn does not count.
    """
    with transaction.atomic():
        order = lock_order(order, lines=True)
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
        fire(order, "record_first_check", actor=actor, by=staff_user(actor))
        facts.first_check_recorded(
            order=order,
            actor=actor,
            items=len(items),
            price_differences=[
                item.price_difference for item in items if item.price_difference
            ],
        )
    return order


def order_verify(*, order: Order, actor) -> Order:
    """A second, different staff member confirms the check; the order is verified."""
    with transaction.atomic():
        order = lock_order(order, lines=True)
        # Read under the lock: the audit must say whether a second check happened.
        waived = order.first_checked_by_id is None
        source = fire(order, "verify", actor=actor, by=staff_user(actor))
        facts.order_verified(
            order=order, actor=actor, from_status=source, second_check_waived=waived
        )
    return order


def order_send_back(*, order: Order, actor, reason: str, note: str = "") -> Order:
    """The second checker sends the order back to the first with what was wrong (recorded)."""
    if reason not in VerificationIssue.Reason.values:
        raise InvalidOrder(_("Say what was wrong."))
    with transaction.atomic():
        order = lock_order(order)
        first_checker = order.first_checked_by
        fire(order, "send_back", actor=actor)
        finding = VerificationIssue.objects.create(
            order=order,
            reason=reason,
            note=(note or "").strip(),
            first_checker=first_checker,
            found_by=staff_user(actor),
        )
        facts.sent_back(order=order, actor=actor, finding=finding)
    return order

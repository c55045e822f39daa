"""Verification: correct an order, the first check on the checklist, the second check, send back.

Four-eyes: the first check is recorded by one person ticking every item of the
checklist (``orders.verification.checklist``); a second, different person
confirms it (the order is verified) or sends it back with what was wrong.
"""

from collections.abc import Collection, Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from orders.core.models import ZERO, Order, OrderStatus, PriceSource
from orders.core.transitions import fire, lock_order, transition_check
from orders.events import record as events
from orders.exceptions import InvalidOrder, TransitionForbidden, TransitionNotAllowed
from orders.money import pricing
from orders.money.pricing import LineInput, price_line
from orders.notifications.emails import Kind
from orders.permissions import perm
from orders.verification.checklist import checklist
from orders.verification.models import VerificationIssue


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason to %(what)s the order.") % {"what": what})
    return reason


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
        order = lock_order(order)
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
            priced = price_line(line=new, customer=order.customer, actor=actor)
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
        order = lock_order(order)
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
        order = lock_order(order)
        # Read under the lock: the audit must say whether a second check happened.
        waived = order.first_checked_by_id is None
        fire(
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
    if reason not in VerificationIssue.Reason.values:
        raise InvalidOrder(_("Say what was wrong."))
    with transaction.atomic():
        order = lock_order(order)
        first_checker = order.first_checked_by
        fire(
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

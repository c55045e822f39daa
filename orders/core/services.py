"""Placing an order, holding, cancelling and noting it: the order's own services.

Every function runs in one transaction: it locks the order row
(``orders.core.transitions.lock_order``), checks the move, runs the django-fsm
transition, saves, records the fact (``orders.events.record``) and touches
stock through ``inventory.services``. Emails and other side effects follow the
facts by subscription; nothing here sends anything.

``actor`` is the staff user acting, ``None`` when the system acts (a scheduled
task, a stock arrival), or an ``ordersite.actors.Actor`` (the customer, an
integration); the system is not subject to permissions.
Each function returns the updated order; the instance passed in is not changed.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from inventory import services as inventory
from orders.core import facts
from orders.core.models import ZERO, Order, OrderLine, OrderLineAllocation, OrderNote
from orders.core.transitions import fire, lock_order, run_transition, transition_check
from orders.customer.models import Customer
from orders.delays.promise import promise_at_placement
from orders.exceptions import InvalidOrder, OrderAlreadyPlaced, TransitionForbidden
from orders.money import pricing, refunds
from orders.money.models import Payment
from orders.money.payments import payment_void
from orders.money.position import money_position
from orders.money.pricing import LineInput, price_lines, to_money
from orders.stock.services import allocation_facts, allocations_of
from ordersite import limits
from ordersite.actors import Actor, staff_user
from ordersite.submissions import submission


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
    billing_address: str = "",
    submission_key: str = "",
    source: str = "",
    external_id: str = "",
    prices_authorised: bool = False,
) -> Order:
    """Create an order with its lines priced by the pricing rules, in state ``placed``.

    The order ships to the customer's address on file unless another one is given.
    An order from another system carries its ``source`` and ``external_id``
    (unique together); ``prices_authorised`` lets that integration's own prices
    stand as manual prices with their reason.
    With a ``submission_key`` (drawn with the entry page) the same page sent twice,
    one after the other or at the same moment, places one order: the second call
    raises ``OrderAlreadyPlaced`` naming it (and, raised inside the caller's
    transaction, takes back whatever the caller created for it, such as a customer).
    """
    key = submission(submission_key)
    if key and (earlier := Order.objects.filter(submission_key=key).first()):
        raise OrderAlreadyPlaced(earlier)
    order = _priced_order(
        customer=customer,
        lines=lines,
        actor=actor,
        shipping_total=shipping_total,
        shipping_address=shipping_address,
        shipping_country=shipping_country,
        submission_key=key,
        billing_address=billing_address,
        channel=channel,
        channel_reference=channel_reference,
        ship_by=ship_by,
        estimated_delivery=estimated_delivery,
        source=source,
        external_id=external_id,
        prices_authorised=prices_authorised,
    )
    try:
        return _place(order=order, actor=actor)
    except IntegrityError:
        # The same page, sent from a second tab at the same moment, won.
        if key and (earlier := Order.objects.filter(submission_key=key).first()):
            raise OrderAlreadyPlaced(earlier) from None
        raise


def _place(*, order: Order, actor) -> Order:
    """Write the priced order and its lines once each, numbered, with its fact."""
    priced = order.quoted_lines
    with transaction.atomic():
        promise_at_placement(order)
        order.save()
        # The number comes from the primary key: unique and free of races.
        order.number = f"ORD-{order.pk:06d}"
        order.save(update_fields=["number"])
        for line in priced:
            line.order = order
        OrderLine.objects.bulk_create(priced)
        order.carry_lines(priced)
        facts.order_placed(order=order, actor=actor)
    return order


def order_quote(
    *,
    customer: Customer,
    lines: list[LineInput],
    actor=None,
    shipping_total: Decimal = ZERO,
    shipping_country: str = "",
) -> Order:
    """What ``order_place`` would charge, worked out by the same function and saved
    nowhere: an unsaved order whose ``quoted_lines`` carry their prices and tax.
    For the entry page's preview; a customer not saved yet gets catalogue prices."""
    return _priced_order(
        customer=customer,
        lines=lines,
        actor=actor,
        shipping_total=shipping_total,
        shipping_country=shipping_country,
    )


def _priced_order(
    *,
    customer: Customer,
    lines: list[LineInput],
    actor,
    shipping_total,
    shipping_address: str = "",
    shipping_country: str = "",
    billing_address: str = "",
    prices_authorised: bool = False,
    **fields,
) -> Order:
    """An unsaved order with its lines priced by the pricing rules (for this
    customer) and its amounts worked out; ``quoted_lines`` holds the lines."""
    if not lines:
        raise InvalidOrder(_("An order needs at least one line."))
    priced = price_lines(
        lines=lines, customer=customer, actor=actor, authorised=prices_authorised
    )
    order = Order(
        customer=customer if customer.pk else None,
        shipping_address=shipping_address.strip() or customer.shipping_address,
        shipping_country=(
            shipping_country.strip() or customer.shipping_country
        ).upper(),
        billing_address=billing_address.strip()
        or customer.billing_address
        or customer.shipping_address,
        currency=settings.ORDERS_CURRENCY,
        shipping_total=_shipping(shipping_total),
        **fields,
    )
    # A new order has no discounts yet; its amounts are known before anything is
    # written, so placing writes the order and its lines once each.
    pricing.work_out_totals(order=order, lines=priced, discounts=[])
    order.quoted_lines = priced
    return order


def _shipping(amount) -> Decimal:
    """The shipping charge: an amount from 0 to the configured ceiling."""
    value = to_money(amount, what=_("Shipping"))
    if not 0 <= value <= limits.max_unit_price():
        raise InvalidOrder(
            _("Shipping must be from 0 to %(limit)s.")
            % {"limit": f"{limits.max_unit_price():,.2f}"}
        )
    return value


def require_reason(reason: str, what: str) -> str:
    """The reason given for a move, stripped; refused when empty."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason to %(what)s the order.") % {"what": what})
    return reason


def order_hold(*, order: Order, actor, reason: str) -> Order:
    """Stop work on the order until someone releases it; the reason stays internal."""
    reason = require_reason(reason, _("hold"))
    return run_transition(
        order, "hold", actor=actor, record=facts.order_held, reason=reason
    )


def order_release_hold(*, order: Order, actor) -> Order:
    """Resume work where the order was held."""
    return run_transition(
        order, "release_hold", actor=actor, record=facts.hold_released
    )


@dataclass(frozen=True)
class CancelPlan:
    """What cancelling the order does now; the cancel service carries it out and the
    order page shows it before the person confirms, so the two never disagree."""

    allocations: list  # inventory.Allocation: the stock this order holds, released
    released: list[dict]  # the same as facts record them (sku, warehouse, quantity)
    voided: Decimal  # payments started or authorized: voided
    refund: Decimal  # captured money going back to the original payment methods


def cancel_plan(order: Order, *, position=None) -> CancelPlan:
    """What ``order_cancel`` would do to ``order`` as it is now (two queries, plus
    the money position unless given)."""
    position = position or money_position(order)
    allocations = allocations_of(order) if order.holds_stock() else []
    # A cancelled order charges nothing: all money still held goes back.
    return CancelPlan(
        allocations=allocations,
        released=allocation_facts(allocations) if allocations else [],
        voided=position.awaiting,
        refund=max(position.held, ZERO),
    )


def order_cancel(
    *, order: Order, actor, reason: str, authorised: bool = False
) -> Order:
    """Cancel before shipment: allocated stock goes back, open payments are voided, captured money refunded.

    The provider is never called here, with the order locked: voids and refunds
    are recorded as requests and carried out by the outbox after commit.
    ``authorised``: the caller lets an integration cancel (its key's scope).
    """
    reason = require_reason(reason, _("cancel"))
    with transaction.atomic():
        order = lock_order(order)
        transition_check(order=order, name="cancel", actor=actor, authorised=authorised)
        plan = cancel_plan(order)
        if plan.allocations:
            inventory.stock_release(
                allocations=plan.allocations,
                actor=staff_user(actor),
                reference=order.number,
                reason=reason,
            )
            OrderLineAllocation.objects.filter(line__order=order).delete()
        source = fire(order, "cancel", actor=actor, authorised=authorised)
        facts.order_cancelled(
            order=order,
            actor=actor,
            from_status=source,
            reason=reason,
            released=plan.released,
        )
        for payment in order.payments.filter(
            status__in=[Payment.Status.PENDING, Payment.Status.AUTHORIZED]
        ):
            payment_void(payment=payment, actor=None, reason=reason)
        if plan.refund > 0:
            # Everything captured goes back to where it came from; the key makes a
            # repeated cancellation (or a retried request) refund once.
            refunds.payment_refund(
                order=order,
                amount=plan.refund,
                reason=_("Order cancelled: %(reason)s") % {"reason": reason},
                idempotency_key=f"cancel:{order.pk}",
                actor=None,
            )
    return order


def order_assign(*, order: Order, actor, assignee) -> Order:
    """Give the order an owner (``assignee``, an active staff member) or none.

    Any staff member who sees orders may take one or hand it on: ownership says
    who looks after it next, it grants nothing. Assigning the owner it already
    has changes nothing and records nothing.
    """
    if not Actor.of(actor).may("orders.view_order"):
        raise TransitionForbidden(_("You may not assign orders."))
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise InvalidOrder(_("Orders can only be assigned to active staff members."))
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        previous = order.assigned_to_id
        if previous == (assignee.pk if assignee else None):
            return order
        Order.objects.filter(pk=order.pk).update(assigned_to=assignee)
        order.assigned_to = assignee
        facts.order_assigned(
            order=order, actor=actor, assignee=assignee, previous_id=previous
        )
    return order


def order_add_note(*, order: Order, actor, body: str) -> OrderNote:
    """Add an internal note; it appears on the staff timeline only."""
    body = (body or "").strip()
    if not body:
        raise InvalidOrder(_("A note cannot be empty."))
    with transaction.atomic():
        note = OrderNote.objects.create(
            order=order, author=staff_user(actor), body=body
        )
        facts.note_added(order=order, actor=actor, note=note)
    return note

"""Compensation for a delay: the policy's suggestions, offers within each role's
limit (a manager approves above it, never the person who offered), and the
customer's acceptance carried out by the money and stock services, once.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.exceptions import InventoryError
from orders.core.transitions import lock_order
from orders.delays import facts
from orders.delays.models import (
    CompensationKind,
    CompensationLimit,
    CompensationOffer,
    CompensationRule,
    Delay,
)
from orders.exceptions import InvalidOrder, TransitionForbidden
from orders.money import discounts, payments, refunds
from orders.money.position import money_position
from orders.permissions import Role, require
from orders.stock.services import GIFT_STATES, order_add_gift
from ordersite.actors import Actor

K = CompensationKind
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Suggestion:
    kind: str
    value: Decimal
    product: object = None
    rule: CompensationRule | None = None


def days_late(delay: Delay, now=None) -> int:
    first = min((s.deadline for s in delay.slip_rows.all()), default=delay.deadline)
    return max(((now or timezone.now()) - first).days, 0)


def compensation_suggestions(delay: Delay) -> list[Suggestion]:
    """What the policy suggests for this case: every active rule it meets."""
    order = delay.order
    earlier = (
        Delay.objects.filter(order__customer_id=order.customer_id)
        .exclude(pk=delay.pk)
        .count()
    )
    late = days_late(delay)
    found = []
    for rule in CompensationRule.objects.filter(active=True).select_related("gift"):
        if rule.cause_id and rule.cause_id != delay.cause_id:
            continue
        if (
            late < rule.min_days_late
            or order.total < rule.min_order_total
            or earlier < rule.min_earlier_delays
        ):
            continue
        if rule.kind == K.GIFT:
            value, product = rule.gift.unit_price, rule.gift
        elif rule.amount is not None:
            value, product = rule.amount, None
        else:
            value = (order.total * rule.percent / 100).quantize(CENT)
            product = None
        if value > 0:
            found.append(Suggestion(rule.kind, value, product, rule))
    return found


def limit_of(actor) -> Decimal | None:
    """Up to which value ``actor`` offers alone (None: no limit, a manager)."""
    user = Actor.of(actor).staff_user
    if user is None:
        return Decimal("0")
    if user.is_superuser or user.groups.filter(name=Role.MANAGER).exists():
        return None
    roles = list(user.groups.values_list("name", flat=True))
    limits = CompensationLimit.objects.filter(role__in=roles).values_list(
        "max_value", flat=True
    )
    return max(limits, default=Decimal("0"))


def compensation_offer(
    *,
    delay: Delay,
    actor,
    kind: str,
    value: Decimal | None = None,
    product=None,
    rule: CompensationRule | None = None,
) -> CompensationOffer:
    """Offer the customer compensation; above the actor's limit it waits for a
    manager's approval. The customer sees it on the status page once offered."""
    require(actor, "handle_delays", _("offer compensation"))
    if kind not in K.values:
        raise InvalidOrder(_("Choose what to offer from the list."))
    order = delay.order
    if kind == K.GIFT:
        if product is None or not product.active:
            raise InvalidOrder(_("Choose a product that is sold as the gift."))
        value = product.unit_price
    else:
        product = None
        value = payments.money_above_zero(value, _("The value"))
    if value > settings.ORDERS_MAX_UNIT_PRICE:
        raise InvalidOrder(_("That is more than any single offer may be."))
    _check_possible(kind=kind, value=value, order=order)
    limit = limit_of(actor)
    needs_approval = limit is not None and value > limit
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        delay = Delay.objects.select_for_update(of=("self",)).get(pk=delay.pk)
        if not delay.is_open:
            raise InvalidOrder(_("This delay case is closed."))
        if delay.offers.filter(status=CompensationOffer.Status.ACCEPTED).exists():
            raise InvalidOrder(_("The customer has accepted an offer already."))
        offer = CompensationOffer.objects.create(
            delay=delay,
            kind=kind,
            value=value,
            product=product,
            rule=rule,
            offered_by=actor,
            status=CompensationOffer.Status.PENDING
            if needs_approval
            else CompensationOffer.Status.OFFERED,
        )
        if needs_approval:
            facts.compensation_proposed(order=order, actor=actor, offer=offer)
        else:
            facts.compensation_offered(order=order, actor=actor, offer=offer)
    return offer


def _check_possible(*, kind: str, value: Decimal, order) -> None:
    if kind == K.PARTIAL_REFUND and value > money_position(order).refundable:
        raise InvalidOrder(
            _(
                "A refund cannot be more than what the customer paid and was not refunded."
            )
        )
    if kind == K.STORE_CREDIT and not settings.ORDERS_STORE_CREDIT_ALLOWED:
        raise InvalidOrder(_("Store credit is not offered."))
    if kind == K.GIFT and order.status not in GIFT_STATES:
        raise InvalidOrder(_("A gift can only join an order before it is picked."))


def compensation_approve(*, offer: CompensationOffer, actor) -> CompensationOffer:
    """A manager approves an offer above the offerer's limit (four eyes)."""
    require(actor, "approve_compensation", _("approve compensation"))
    if Actor.of(actor).staff_user == offer.offered_by:
        raise TransitionForbidden(
            _("Someone other than the person who offered it must approve it.")
        )
    with transaction.atomic():
        order = lock_order(offer.delay.order, same_state=False)
        offer = CompensationOffer.objects.select_for_update(of=("self",)).get(
            pk=offer.pk
        )
        if offer.status != CompensationOffer.Status.PENDING:
            return offer  # approved already (a second tab) or withdrawn
        offer.status = CompensationOffer.Status.OFFERED
        offer.approved_by, offer.approved_at = actor, timezone.now()
        offer.save(update_fields=["status", "approved_by", "approved_at"])
        facts.compensation_offered(order=order, actor=actor, offer=offer)
    return offer


def compensation_accept(*, offer: CompensationOffer) -> CompensationOffer:
    """The customer accepts an offer: the code is issued, the gift added (stock
    allocated as usual), the refund or credit made; the case's other offers are
    withdrawn. Once: a second accept (click, tab) changes nothing."""
    from ordersite.actors import CUSTOMER

    order = offer.delay.order
    try:
        with transaction.atomic():
            order = lock_order(order, same_state=False)
            offer = CompensationOffer.objects.select_for_update(of=("self",)).get(
                pk=offer.pk
            )
            if offer.status == CompensationOffer.Status.ACCEPTED:
                return offer
            if offer.status != CompensationOffer.Status.OFFERED:
                raise InvalidOrder(_("This offer is no longer open."))
            _check_possible(kind=offer.kind, value=offer.value, order=order)
            offer.status, offer.accepted_at = (
                CompensationOffer.Status.ACCEPTED,
                timezone.now(),
            )
            try:
                _carry_out(offer, order)
            except InventoryError as exc:  # the gift is out of stock
                raise InvalidOrder(
                    _(
                        "We cannot add the gift right now (%(why)s); please choose another offer."
                    )
                    % {"why": exc}
                ) from exc
            offer.save()
            offer.delay.offers.exclude(pk=offer.pk).filter(
                status__in=[
                    CompensationOffer.Status.OFFERED,
                    CompensationOffer.Status.PENDING,
                ]
            ).update(status=CompensationOffer.Status.WITHDRAWN)
            facts.compensation_accepted(order=order, actor=CUSTOMER, offer=offer)
    except IntegrityError:
        # another offer of the case was accepted at the same moment
        raise InvalidOrder(_("You have accepted an offer already.")) from None
    return offer


def _carry_out(offer: CompensationOffer, order) -> None:
    why = _("Sorry for the delay of order %(number)s") % {"number": order.number}
    if offer.kind == K.DISCOUNT_CODE:
        offer.discount_code = discounts.discount_code_issue(
            customer=order.customer, kind="fixed", value=offer.value, description=why
        )
    elif offer.kind == K.PARTIAL_REFUND:
        # The system refunds what the shop offered; the key makes it once.
        refunds.payment_refund(
            order=order,
            amount=offer.value,
            reason=why,
            idempotency_key=f"compensation-{offer.pk}",
            actor=None,
        )
    elif offer.kind == K.STORE_CREDIT:
        offer.credit_entry = payments.store_credit_grant(
            customer=order.customer, amount=offer.value, order=order, note=why
        )
    else:
        offer.gift_line = order_add_gift(
            order=order, product=offer.product, reason=why, actor=None
        )
    offer.cost = offer.value

"""Discounts on orders: codes customers or staff enter, and staff discounts with a reason.

Usage limits hold under concurrency: a code's use is counted with a
conditional increment, and the database refuses a count past the limit.
Compensation for a delay (a later issue) issues codes with ``discount_code_issue``.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import Order, OrderStatus
from orders.core.transitions import lock_order
from orders.customer.models import Customer
from orders.exceptions import AlreadyRecorded, InvalidOrder
from orders.money import facts, pricing
from orders.money.payments import advance_if_paid
from orders.money.pricing_models import DiscountCode, DiscountKind, OrderDiscount
from orders.permissions import require
from ordersite import limits
from ordersite.actors import staff_user
from ordersite.submissions import submission


def _lock_open(order: Order) -> Order:
    order = lock_order(order)
    if order.status not in OrderStatus.PRICES_OPEN:
        raise InvalidOrder(
            _("Order %(number)s is %(status)s; its discounts can no longer change.")
            % {"number": order.number, "status": order.get_status_display().lower()}
        )
    return order


def _validate(kind: str, value: Decimal) -> Decimal:
    value = pricing.to_money(value, what=_("The discount"))
    if value <= 0:
        raise InvalidOrder(_("A discount must be above zero."))
    if kind == DiscountKind.PERCENT and value > 100:
        raise InvalidOrder(_("A percentage discount cannot exceed 100."))
    if value > limits.max_order_total():
        raise InvalidOrder(
            _("A discount may be at most %(limit)s.")
            % {"limit": f"{limits.max_order_total():,.2f}"}
        )
    if kind not in DiscountKind.values:
        raise InvalidOrder(_("Unknown discount kind."))
    return value


def _recalculate(order: Order) -> None:
    pricing.order_recalculate(order=order)
    order.save(
        update_fields=["subtotal", "discount_total", "tax_total", "total", "updated_at"]
    )


def discount_code_apply(*, order: Order, code: str, actor=None) -> OrderDiscount:
    """Apply a discount code: valid today, for this customer, within its usage limit."""
    require(actor, "grant_discount", _("apply discount codes"))
    today = timezone.localdate()
    with transaction.atomic():
        order = _lock_open(order)
        found = DiscountCode.objects.filter(
            code__iexact=(code or "").strip(), active=True
        ).first()
        valid = found is not None and (
            (found.valid_from is None or found.valid_from <= today)
            and (found.valid_until is None or found.valid_until >= today)
            and (found.customer_id is None or found.customer_id == order.customer_id)
        )
        if not valid:
            raise InvalidOrder(_("That discount code is not valid for this order."))
        if order.discounts.filter(code=found).exists():
            raise InvalidOrder(_("That code is already applied to this order."))
        used = DiscountCode.objects.filter(
            Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")), pk=found.pk
        ).update(times_used=F("times_used") + 1)
        if not used:
            raise InvalidOrder(_("That discount code has been used up."))
        discount = OrderDiscount.objects.create(
            order=order,
            code=found,
            kind=found.kind,
            value=found.value,
            created_by=staff_user(actor),
        )
        _recalculate(order)
        discount.refresh_from_db()
        facts.discount_code_applied(order=order, actor=actor, discount=discount)
    # Payments may now cover the lower total.
    advance_if_paid(order=order, actor=actor)
    return discount


def discount_staff_grant(
    *,
    order: Order,
    kind: str,
    value: Decimal,
    reason: str,
    actor,
    submission_key: str = "",
) -> OrderDiscount:
    """Give an order-level discount; needs the permission and a reason.

    With a ``submission_key`` the same page sent twice gives one discount.
    """
    require(actor, "grant_discount", _("give discounts"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Give a reason for the discount."))
    value = _validate(kind, value)
    key = submission(submission_key)
    with transaction.atomic():
        # The order's row lock queues a second tab behind the first.
        order = lock_order(order, same_state=False)
        if key and (earlier := order.discounts.filter(submission_key=key).first()):
            raise AlreadyRecorded(
                _("This discount was already given; nothing was given twice."),
                earlier,
            )
        order = _lock_open(order)
        discount = OrderDiscount.objects.create(
            order=order,
            kind=kind,
            value=value,
            reason=reason,
            created_by=staff_user(actor),
            submission_key=key,
        )
        _recalculate(order)
        discount.refresh_from_db()
        facts.discount_granted(order=order, actor=actor, discount=discount)
    advance_if_paid(order=order, actor=actor)
    return discount


def discount_remove(*, discount: OrderDiscount, actor) -> Order:
    """Take a discount off again (a code's use is given back)."""
    require(actor, "grant_discount", _("remove discounts"))
    with transaction.atomic():
        order = _lock_open(discount.order)
        if discount.code_id:
            DiscountCode.objects.filter(pk=discount.code_id, times_used__gt=0).update(
                times_used=F("times_used") - 1
            )
        facts.discount_removed(order=order, actor=actor, discount=discount)
        discount.delete()
        _recalculate(order)
    return order


def discount_code_issue(
    *,
    customer: Customer | None,
    kind: str,
    value: Decimal,
    description: str,
    valid_days: int = 90,
    max_uses: int | None = 1,
) -> DiscountCode:
    """Create a fresh code, e.g. to compensate a customer for a delay."""
    value = _validate(kind, value)
    today = timezone.localdate()
    for _attempt in range(5):
        code = "OS-" + secrets.token_hex(4).upper()
        try:
            with transaction.atomic():
                return DiscountCode.objects.create(
                    code=code,
                    kind=kind,
                    value=value,
                    description=description,
                    customer=customer,
                    valid_from=today,
                    valid_until=today + timedelta(days=valid_days),
                    max_uses=max_uses,
                )
        except IntegrityError:
            continue  # a collision of random codes: draw again
    raise InvalidOrder(_("Could not create a unique code; try again."))

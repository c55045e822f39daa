"""Conditions on order transitions, each with the message shown when it is not met.

django-fsm only learns whether a condition holds; keeping the message beside the
check lets the services tell a person exactly which rule stopped them.
"""

from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _


def condition(message: str, *, met_by_input: bool = False) -> Callable:
    """Mark a predicate on an order as a transition condition with a failure message.

    ``met_by_input``: the service running the transition makes it true from what
    the person enters (a tracking number, say), so the move is still offered.
    """

    def decorate(func: Callable) -> Callable:
        func.message = message
        func.met_by_input = met_by_input
        return func

    return decorate


@condition(_("The order has no lines."))
def has_lines(order) -> bool:
    return order.lines.exists()  # no query when the service carries the lines


def price_acceptable(unit_price, *, manual: bool, reason: str) -> bool:
    """The one rule for a line's price: above zero, or zero as a manual price with a reason.

    A free line is legitimate (a sample, a gift, compensation) when someone set
    it on purpose and said why; a zero that comes from the catalogue or a price
    list is a missing price. Placement, correction and verification all ask this.
    """
    if unit_price is None or unit_price < 0:
        return False
    return unit_price > 0 or (manual and bool((reason or "").strip()))


@condition(
    _(
        "Every line needs a quantity of at least one and a price above zero "
        "(a free line needs a manual price of 0 with a reason)."
    )
)
def lines_are_priced(order) -> bool:
    return all(
        line.quantity >= 1
        and price_acceptable(
            line.unit_price,
            manual=line.price_source == "manual",
            reason=line.price_reason,
        )
        for line in order.lines.all()
    )


@condition(_("The order has already had its first check."))
def not_yet_checked(order) -> bool:
    return order.first_checked_by_id is None


@condition(_("The order has had no first check to send back."))
def first_check_done(order) -> bool:
    return order.first_checked_by_id is not None


def second_check_waived(order) -> bool:
    """Whether the order is below the value at which one verifier is enough."""
    threshold = Decimal(settings.ORDERS_SECOND_CHECK_WAIVED_BELOW)
    return threshold > 0 and order.total < threshold


@condition(
    _(
        "The order needs a first check by another staff member before it can be verified."
    )
)
def first_check_done_or_waived(order) -> bool:
    return order.first_checked_by_id is not None or second_check_waived(order)


@condition(_("Captured payments do not cover the order total."))
def payments_cover_total(order) -> bool:
    return _money_position(order).owed == 0


def _no_money_position(order):
    raise RuntimeError("orders.apps did not register the money position")


# The one definition of what is owed lives in orders.money.position, which builds
# on the models that import this module; the app registers it when it is ready.
_money_position: Callable = _no_money_position


def use_money_position(position: Callable) -> None:
    global _money_position
    _money_position = position


@condition(
    _("The order needs a shipment with a carrier and a tracking number."),
    met_by_input=True,
)
def has_tracked_shipment(order) -> bool:
    return order.shipments.exclude(tracking_number="").exclude(carrier="").exists()


@condition(
    _(
        "Part of the order has already shipped; it cannot be cancelled (record a return instead)."
    )
)
def nothing_shipped(order) -> bool:
    return not order.shipments.exists()


def unmet(order, method, *, before_input: bool = False) -> list[str]:
    """The messages of the conditions of ``method`` that ``order`` does not meet now.

    ``before_input`` leaves out conditions the person's input will meet.
    """
    meta = method._django_fsm
    transition = meta.get_transition(order.status)
    if transition is None:
        return []
    return [
        str(c.message)
        for c in transition.conditions
        if not (before_input and c.met_by_input) and not c(order)
    ]

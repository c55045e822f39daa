"""Read-only views of an order's verification."""

from django.utils.translation import gettext as _

from orders.conditions import second_check_waived
from orders.core.models import Order, OrderStatus


def verification_summary(order: Order) -> str:
    """Where the order stands in the four-eyes check, in one sentence for staff."""
    if order.verified_by_id:
        return _("Verified by %(who)s.") % {"who": order.verified_by.get_username()}
    if order.first_checked_by_id:
        return _(
            "First check by %(who)s; waiting for a second check by someone else."
        ) % {"who": order.first_checked_by.get_username()}
    if order.status == OrderStatus.PLACED and second_check_waived(order):
        return _("Not checked yet; one check is enough for an order of this value.")
    if order.status == OrderStatus.PLACED:
        return _(
            "Not checked yet; needs a first check and a second check by someone else."
        )
    return _("Not verified.")

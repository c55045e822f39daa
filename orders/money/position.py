"""An order's money position: the one definition of what was charged, paid,
refunded and is still owed, used by every page, email, invoice and service.

Refunds never make the customer owe more: money we gave back (a goodwill
refund, a returned item, a cancelled order) is money we chose to return. A
cancelled order charges nothing, so whatever its payments still hold is due
back to the customer.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from orders.core.models import ZERO, Order, OrderStatus
from orders.money.models import Payment, Refund
from ordersite.money import quantize

ON_THE_WAY = (Refund.Status.PENDING, Refund.Status.PROCESSING)
AWAITING = (Payment.Status.PENDING, Payment.Status.AUTHORIZED)


class PaymentStatus:
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"
    NOTHING_DUE = "nothing_due"

    LABELS = {
        UNPAID: _("Unpaid"),
        PARTLY_PAID: _("Partly paid"),
        PAID: _("Paid"),
        PARTLY_REFUNDED: _("Partly refunded"),
        REFUNDED: _("Refunded"),
        NOTHING_DUE: _("Nothing to pay"),
    }


@dataclass(frozen=True)
class MoneyPosition:
    """Amounts in the order's currency, each quantized to its minor unit."""

    currency: str
    total: Decimal  # the order's total
    charged: Decimal  # what the customer must pay: the total, nothing once cancelled
    captured: Decimal  # taken by payments (store credit spent included)
    store_credit_spent: Decimal  # the part of ``captured`` paid from store credit
    awaiting: Decimal  # payments started or authorized, not yet captured
    refunded: Decimal  # given back: to payment methods, or as store credit
    refunding: Decimal  # refunds on their way
    credited: Decimal  # the part of ``refunded`` + ``refunding`` given as store credit

    @property
    def held(self) -> Decimal:
        """What the payments still hold once every refund on its way is done."""
        return self.captured - self.refunded - self.refunding

    @property
    def owed(self) -> Decimal:
        """What the customer still has to pay (refunds never add to it)."""
        return max(self.charged - self.captured, ZERO)

    @property
    def payable(self) -> Decimal:
        """What a new payment may be for: owed, less payments still awaiting capture."""
        return max(self.owed - self.awaiting, ZERO)

    @property
    def overpaid(self) -> Decimal:
        """Taken beyond the charge (before any refund of it)."""
        return max(self.captured - self.charged, ZERO)

    @property
    def refund_due(self) -> Decimal:
        """What we still have to give back: held beyond the charge."""
        return max(self.held - self.charged, ZERO)

    @property
    def refundable(self) -> Decimal:
        """The most a new refund may be for."""
        return max(self.held, ZERO)

    @property
    def status(self) -> str:
        back = self.refunded + self.refunding
        if back > 0:
            return (
                PaymentStatus.REFUNDED
                if back >= self.captured
                else PaymentStatus.PARTLY_REFUNDED
            )
        if self.charged == 0 and self.captured == 0:
            return PaymentStatus.NOTHING_DUE
        if self.captured == 0:
            return PaymentStatus.UNPAID
        if self.captured < self.charged:
            return PaymentStatus.PARTLY_PAID
        return PaymentStatus.PAID

    @property
    def status_label(self) -> str:
        return str(PaymentStatus.LABELS[self.status])


def money_position(order: Order) -> MoneyPosition:
    """The order's money position now (read under the order's lock by the services
    that act on it)."""
    return money_positions([order])[order.pk]


def money_positions(orders) -> dict[int, MoneyPosition]:
    """The money positions of many orders, by order id, in two queries."""
    orders = list(orders)
    ids = [o.pk for o in orders]
    paid = {
        row["order_id"]: row
        for row in Payment.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(
            captured=Sum("amount_captured"),
            refunded=Sum("amount_refunded"),
            store_credit=Sum(
                "amount_captured", filter=Q(method=Payment.Method.STORE_CREDIT)
            ),
            awaiting=Sum("amount", filter=Q(status__in=AWAITING)),
        )
        .order_by()
    }
    back = {
        row["order_id"]: row
        for row in Refund.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(
            credited=Sum(
                "amount",
                filter=Q(outcome=Refund.Outcome.STORE_CREDIT)
                & Q(status__in=[*ON_THE_WAY, Refund.Status.SUCCEEDED]),
            ),
            credited_done=Sum(
                "amount",
                filter=Q(
                    outcome=Refund.Outcome.STORE_CREDIT,
                    status=Refund.Status.SUCCEEDED,
                ),
            ),
            refunding=Sum("amount", filter=Q(status__in=ON_THE_WAY)),
        )
        .order_by()
    }
    return {o.pk: _position(o, paid.get(o.pk, {}), back.get(o.pk, {})) for o in orders}


def _position(order: Order, paid: dict, back: dict) -> MoneyPosition:
    def amount(value) -> Decimal:
        return quantize(value or ZERO, order.currency)

    return MoneyPosition(
        currency=order.currency,
        total=amount(order.total),
        charged=ZERO if order.status == OrderStatus.CANCELLED else amount(order.total),
        captured=amount(paid.get("captured")),
        store_credit_spent=amount(paid.get("store_credit")),
        awaiting=amount(paid.get("awaiting")),
        refunded=amount(paid.get("refunded")) + amount(back.get("credited_done")),
        refunding=amount(back.get("refunding")),
        credited=amount(back.get("credited")),
    )

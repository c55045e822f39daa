"""The return policy's rules: what may come back, until when, and what it refunds.

Pure reading and arithmetic over the policy row and an order: the services ask
these before they write anything, the customer's form and the staff page show
the same answers, and the public policy page is rendered from the same row.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from returns.models import (
    COUNTING,
    HUNDRED,
    OUR_FAULT,
    ZERO,
    Reason,
    ReturnLine,
    ReturnPolicy,
)

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------
# The window
# ------------------------------------------------------------------------------
def customer_zone(customer) -> ZoneInfo:
    """The customer's time zone, else the shop's."""
    return ZoneInfo(getattr(customer, "time_zone", "") or settings.TIME_ZONE)


def last_day(order, policy: ReturnPolicy) -> date | None:
    """The last day to ask for a return, in the customer's calendar (None: not delivered)."""
    if order.delivered_at is None:
        return None
    delivered = timezone.localtime(order.delivered_at, customer_zone(order.customer))
    return delivered.date() + timedelta(days=policy.window_days)


def window_end(order, policy: ReturnPolicy, *, extra_days: int = 0) -> datetime | None:
    """The moment the window closes: midnight after its last day, the customer's time."""
    day = last_day(order, policy)
    if day is None:
        return None
    after = day + timedelta(days=1 + extra_days)
    return datetime.combine(after, time.min, tzinfo=customer_zone(order.customer))


# ------------------------------------------------------------------------------
# What may still come back
# ------------------------------------------------------------------------------
@dataclass
class Returnable:
    """One order line: how many units were delivered, are already coming back, are left."""

    line: object
    delivered: int
    returned: int
    blocked: str = ""  # "product" or "category": the policy does not take it back

    @property
    def left(self) -> int:
        return max(self.delivered - self.returned, 0)


def returnable_lines(order, policy: ReturnPolicy, *, exclude=None) -> list[Returnable]:
    """Each line of ``order`` with what may still be returned (``exclude`` a return
    whose own units do not count)."""
    delivered = order.delivered_at is not None
    counted = ReturnLine.objects.filter(
        order_line__order=order, rma__status__in=COUNTING
    )
    if exclude is not None:
        counted = counted.exclude(rma=exclude)
    taken = dict(
        counted.values("order_line")
        .annotate(n=Sum("quantity"))
        .values_list("order_line", "n")
    )
    result = []
    for line in order.lines.select_related("product").order_by("pk"):
        blocked = ""
        if not line.product.returnable:
            blocked = "product"
        elif policy.category_blocked(line.product.category):
            blocked = "category"
        result.append(
            Returnable(
                line=line,
                delivered=line.quantity if delivered else 0,
                returned=taken.get(line.pk, 0),
                blocked=blocked,
            )
        )
    return result


@dataclass
class Asked:
    """One line of a request: an order line, how many, and why."""

    line_id: int
    quantity: int
    reason: str
    reason_text: str = ""


@dataclass
class Verdict:
    """What the policy says of a request: refused (with why), for a person, or fine."""

    refusals: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # codes, see REVIEW_WORDS

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def review_words() -> dict[str, str]:
    return {
        "late": _("It is past the return window."),
        "product": _("A product on it is not returnable."),
        "category": _("A product on it is in a category we do not take back."),
        "manual": _("Every return is looked at by a person."),
    }


def check(
    *, order, policy: ReturnPolicy, asked: list[Asked], outcome: str, now=None
) -> Verdict:
    """Check a request against the policy (nothing is written)."""
    now = now or timezone.now()
    verdict = Verdict()
    if order.delivered_at is None:
        verdict.refusals.append(
            _("Items can be returned once the order has been delivered.")
        )
        return verdict
    if outcome not in policy.outcomes():
        verdict.refusals.append(_("Choose one of the outcomes on offer."))
    if not asked:
        verdict.refusals.append(_("Choose at least one item to return."))
    lines = {r.line.pk: r for r in returnable_lines(order, policy)}
    seen = set()
    for a in asked:
        r = lines.get(a.line_id)
        if r is None or a.line_id in seen:
            verdict.refusals.append(_("An item chosen is not on this order."))
            continue
        seen.add(a.line_id)
        if a.reason not in Reason.values:
            verdict.refusals.append(
                _("Say why %(item)s comes back.") % {"item": r.line.name}
            )
        elif a.reason == Reason.OTHER and not a.reason_text.strip():
            verdict.refusals.append(
                _("Tell us in a few words why %(item)s comes back.")
                % {"item": r.line.name}
            )
        if not 1 <= a.quantity <= r.left:
            verdict.refusals.append(
                _("%(item)s: you can return at most %(left)s.")
                % {"item": r.line.name, "left": r.left}
                if r.left
                else _("%(item)s is already being returned in full.")
                % {"item": r.line.name}
            )
        if r.blocked and r.blocked not in verdict.review:
            verdict.review.append(r.blocked)
    closes = window_end(order, policy)
    if now >= closes:
        if now >= window_end(order, policy, extra_days=policy.grace_days):
            verdict.refusals.append(
                _(
                    "The return window closed on %(day)s. If something is wrong "
                    "with your order, write to us on the order page."
                )
                % {"day": formats.date_format(last_day(order, policy))}
            )
        else:
            verdict.review.insert(0, "late")
    if not policy.auto_approve and not verdict.review:
        verdict.review.append("manual")
    return verdict


# ------------------------------------------------------------------------------
# What a return refunds
# ------------------------------------------------------------------------------
def line_paid(order_line) -> Decimal:
    """What the customer paid for the whole line: its total, less its share of
    discounts, plus its tax when prices are net."""
    paid = order_line.line_total - order_line.discount_amount
    if not settings.ORDERS_PRICES_INCLUDE_TAX:
        paid += order_line.tax_amount
    return paid


def units_paid(order_line, quantity: int, *, before: int = 0) -> Decimal:
    """What ``quantity`` units of the line cost, after ``before`` units returned
    earlier: differences of rounded shares, so the units of a line never add up to
    more than the line."""
    if not quantity:
        return ZERO
    paid, total = line_paid(order_line), order_line.quantity
    return cents(paid * (before + quantity) / total) - cents(paid * before / total)


def refund_for(
    *, policy: ReturnPolicy, paid: Decimal, grade: str, our_fault: bool
) -> Decimal:
    """What units that cost ``paid`` refund in the condition ``grade``.

    Our fault (damaged in transit, defective, wrong item, not as described):
    all of it, whatever the condition. Otherwise the grade's percentage (A all,
    B and C as configured, scrap nothing), less the restocking fee.
    """
    if our_fault:
        return cents(paid)
    share = paid * policy.grade_percent(grade) / HUNDRED
    fee = paid * policy.restocking_fee_percent / HUNDRED if share else ZERO
    return max(cents(share - fee), ZERO)


def is_our_fault(reason: str) -> bool:
    return reason in OUR_FAULT

"""Read-only queries over what customers told us: open problems, messages waiting for an answer."""

from django.db.models import Count, Min
from django.utils.translation import gettext_lazy as _

from orders.customer.models import CustomerMessage, OrderIssue


def open_problems():
    """Problems customers reported that nobody has resolved yet."""
    return OrderIssue.objects.filter(resolved_at__isnull=True)


def unanswered_messages():
    """Messages from customers that staff have not answered yet."""
    return CustomerMessage.objects.filter(from_customer=True, answered_at__isnull=True)


def customer_queues() -> list[dict]:
    """The dashboard's queues of what customers wait for: orders and the oldest age, two queries."""
    problems = open_problems().aggregate(
        n=Count("order", distinct=True), oldest=Min("created_at")
    )
    messages = unanswered_messages().aggregate(
        n=Count("order", distinct=True), oldest=Min("created_at")
    )
    return [
        {
            "key": "open_problems",
            "label": _("Problems reported"),
            "count": problems["n"],
            "oldest": problems["oldest"],
            "params": {"attention": "problem"},
        },
        {
            "key": "awaiting_reply",
            "label": _("Messages to answer"),
            "count": messages["n"],
            "oldest": messages["oldest"],
            "params": {"attention": "reply"},
        },
    ]


class Matches(list):
    """A list of matches that knows whether more matched than it holds."""

    more = False


def customers_matching(term: str, *, limit: int = 8) -> list:
    """Known customers for the order-entry picker, with their three latest orders.

    What a caller reads out: the start of an email, part of a name, digits of a
    phone number, or a postcode. Two queries whatever the number of matches;
    fewer than two characters match nobody. At most ``limit`` customers; the
    list's ``more`` says whether others match too (type more to narrow it).
    """
    import re

    from django.db.models import F, Q, Window
    from django.db.models.functions import RowNumber

    from orders.core.models import Order
    from orders.customer.models import Customer

    term = " ".join(term.split())[:100]
    if len(term) < 2:
        return []
    condition = Q(email__istartswith=term) | Q(name__icontains=term)
    if len(term) >= 3 and re.search(r"\d", term):
        # A postcode, as written in the address ("10115", "SW1A 1AA").
        condition |= Q(shipping_address__icontains=term)
    if re.fullmatch(r"[\d\s+\-()/.]+", term):
        # A phone number by its digits, the trunk zero a caller says ("030 …")
        # left off, so it matches "+49 30 …" however the number was written.
        national = re.sub(r"\D", "", term).lstrip("0")
        if len(national) >= 3:
            condition |= Q(phone_digits__contains=national)
    customers = Matches(
        Customer.objects.filter(condition).order_by("name", "pk")[: limit + 1]
    )
    customers.more = len(customers) > limit
    del customers[limit:]
    recent: dict[int, list] = {}
    for row in (
        Order.objects.filter(customer__in=customers)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("customer_id")],
                order_by=[F("placed_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=3)
        .order_by("customer_id", "rank")
    ):
        recent.setdefault(row.customer_id, []).append(row)
    for customer in customers:
        customer.recent_orders = recent.get(customer.pk, [])
    return customers

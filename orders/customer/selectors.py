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

"""Read-only queries over orders, shaped for the pages that show them."""

from django.db.models import Count

from orders.models import Order, OrderStatus


def order_status_counts() -> list[tuple[str, str, int]]:
    """Every lifecycle state with its label and how many orders are in it, in one query."""
    counts = dict(
        Order.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return [
        (value, label, counts.get(value, 0)) for value, label in OrderStatus.choices
    ]

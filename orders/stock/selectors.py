"""Read-only queries over backordered orders."""

from django.db.models import Count, Min, Prefetch

from orders.core.models import Order, OrderLine, OrderStatus


def backordered_orders():
    """Backordered orders, oldest first, with the lines that wait for stock."""
    return (
        Order.objects.filter(status=OrderStatus.BACKORDERED)
        .select_related("customer", "split_from")
        .prefetch_related(
            Prefetch(
                "lines", queryset=OrderLine.objects.order_by("pk"), to_attr="all_lines"
            )
        )
        .order_by("status_changed_at", "pk")
    )


def backorder_summary() -> dict:
    """How many orders wait for stock and since when the oldest does."""
    data = Order.objects.filter(status=OrderStatus.BACKORDERED).aggregate(
        n=Count("pk"), oldest=Min("status_changed_at")
    )
    return {"count": data["n"], "oldest": data["oldest"]}

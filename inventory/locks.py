"""Row locks on stock, always taken in primary-key order so that concurrent
transactions touching the same items queue up instead of deadlocking."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from inventory.models import StockItem


def lock_stock_items(
    *, ids: Iterable[int] = (), product_ids: Iterable[int] = ()
) -> dict[int, StockItem]:
    """Lock the stock rows with these ids or of these products, in pk order; return them by id."""
    ids, product_ids = set(ids), set(product_ids)
    qs: QuerySet[StockItem] = StockItem.objects.none()
    if ids or product_ids:
        qs = (
            StockItem.objects.select_for_update(of=("self",))
            .select_related("warehouse", "product")
            .filter(Q(pk__in=ids) | Q(product_id__in=product_ids))
            .order_by("pk")
        )
    return {item.pk: item for item in qs}

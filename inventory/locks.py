"""Row locks on stock, always taken in primary-key order so that concurrent
transactions touching the same items queue up instead of deadlocking."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from inventory.models import StockItem, Warehouse


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


def lock_stock_rows_of(
    *, warehouse: Warehouse, product_ids: Iterable[int]
) -> dict[int, StockItem]:
    """The stock rows of these products in one warehouse, created if missing, locked
    in pk order; returned by product id.

    Missing rows are inserted in product order (two deliveries of new products
    queue on the first one), then every row is locked through ``lock_stock_items``
    like any other service's, so a receipt never waits in another order than an
    allocation, a count or a shipment does.
    """
    product_ids = sorted(set(product_ids))
    existing = set(
        StockItem.objects.filter(
            warehouse=warehouse, product_id__in=product_ids
        ).values_list("product_id", flat=True)
    )
    missing = [p for p in product_ids if p not in existing]
    if missing:
        StockItem.objects.bulk_create(
            [StockItem(product_id=p, warehouse=warehouse) for p in missing],
            ignore_conflicts=True,
        )
    ids = StockItem.objects.filter(
        warehouse=warehouse, product_id__in=product_ids
    ).values_list("pk", flat=True)
    return {item.product_id: item for item in lock_stock_items(ids=ids).values()}

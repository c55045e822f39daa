"""Read-only queries over stock, shaped for the staff pages and reports."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import LowStockAlert, StockItem, StockMovement


def stock_levels(
    *,
    search: str = "",
    warehouse_id: int | None = None,
    state: str = "",
) -> QuerySet[StockItem]:
    """Stock rows with product and warehouse, filtered; ``state`` is out, low or "" (all)."""
    qs = (
        StockItem.objects.select_related("product", "warehouse")
        .annotate(free=F("on_hand") - F("allocated"))
        .order_by("product__sku", "warehouse__code")
    )
    if search:
        qs = qs.filter(
            Q(product__sku__icontains=search) | Q(product__name__icontains=search)
        )
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if state == "out":
        qs = qs.filter(free__lte=0)
    elif state == "low":
        qs = qs.filter(reorder_point__gt=0, free__lte=F("reorder_point"))
    return qs


def product_ledger(*, product_id: int) -> QuerySet[StockMovement]:
    """Every movement of a product's stock, newest first, with running context."""
    return (
        StockMovement.objects.filter(stock_item__product_id=product_id)
        .select_related("stock_item__warehouse", "actor", "reversed_by")
        .order_by("-created_at", "-pk")
    )


def open_low_stock_alerts() -> QuerySet[LowStockAlert]:
    return (
        LowStockAlert.objects.filter(closed_at__isnull=True)
        .select_related("stock_item__product", "stock_item__warehouse")
        .order_by("raised_at")
    )


@dataclass(frozen=True)
class HealthRow:
    item: StockItem
    sold_30d: int
    days_of_cover: float | None  # None: nothing sold, cover cannot be computed
    problem: str  # "stockout", "low", "overstock"


HEALTH_SORTS = {
    "sku": lambda r: (r.item.product.sku, r.item.warehouse.code),
    "problem": lambda r: (r.problem, r.item.product.sku),
    "available": lambda r: (r.item.available, r.item.product.sku),
    "cover": lambda r: r.days_of_cover if r.days_of_cover is not None else float("inf"),
    "sold": lambda r: (-r.sold_30d, r.item.product.sku),
}


def inventory_health(*, sort: str = "problem", problem: str = "") -> list[HealthRow]:
    """Stockouts, items under their reorder point and overstock, in one query.

    Demand is the product's: units shipped in the last 30 days from any
    warehouse (which warehouse ships is an allocation detail). An item is
    overstock when its free units would last more than
    ``INVENTORY_OVERSTOCK_DAYS`` days at that rate, or when the product has
    not shipped at all in 30 days.
    """
    since = timezone.now() - timedelta(days=30)
    # The last 30 days of shipments, summed per product in one pass over the
    # (kind, created_at) index: the cost follows the month, not the history.
    sold = dict(
        StockMovement.objects.filter(
            kind=StockMovement.Kind.SHIPMENT, created_at__gte=since
        )
        .values_list("stock_item__product_id")
        .annotate(total=Sum("on_hand_delta"))
        .order_by()
    )
    items = StockItem.objects.select_related("product", "warehouse").annotate(
        free=F("on_hand") - F("allocated")
    )
    limit = settings.INVENTORY_OVERSTOCK_DAYS
    rows = []
    for item in items:
        item.sold = -sold.get(item.product_id, 0)
        cover = item.free / (item.sold / 30) if item.sold else None
        if item.free <= 0:
            kind = "stockout"
        elif item.reorder_point and item.free <= item.reorder_point:
            kind = "low"
        elif cover is None or cover > limit:
            kind = "overstock"
        else:
            continue
        if problem and kind != problem:
            continue
        rows.append(
            HealthRow(item=item, sold_30d=item.sold, days_of_cover=cover, problem=kind)
        )
    return sorted(rows, key=HEALTH_SORTS.get(sort, HEALTH_SORTS["problem"]))


@dataclass(frozen=True)
class LedgerMismatch:
    item: StockItem
    ledger_on_hand: int
    ledger_allocated: int


def ledger_mismatches() -> list[LedgerMismatch]:
    """Stock rows whose on-hand or allocated differs from the sum of their movements."""
    items = StockItem.objects.select_related("product", "warehouse").annotate(
        ledger_on_hand=Coalesce(Sum("movements__on_hand_delta"), Value(0)),
        ledger_allocated=Coalesce(Sum("movements__allocated_delta"), Value(0)),
    )
    return [
        LedgerMismatch(
            item=i, ledger_on_hand=i.ledger_on_hand, ledger_allocated=i.ledger_allocated
        )
        for i in items.order_by("pk")
        if (i.ledger_on_hand, i.ledger_allocated) != (i.on_hand, i.allocated)
    ]


def inventory_summary() -> dict:
    """Counts for the dashboard: open alerts, stockouts, counts awaiting work or approval."""
    from inventory.models import StockCount

    counts = StockCount.objects.filter(
        status__in=[StockCount.Status.OPEN, StockCount.Status.SUBMITTED]
    )
    return {
        "alerts": LowStockAlert.objects.filter(closed_at__isnull=True).count(),
        "stockouts": StockItem.objects.filter(on_hand__lte=F("allocated")).count(),
        "counts_open": counts.filter(status=StockCount.Status.OPEN).count(),
        "counts_to_approve": counts.filter(status=StockCount.Status.SUBMITTED).count(),
    }

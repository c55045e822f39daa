"""Read-only queries over stock, shaped for the staff pages and reports."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import (
    IncomingStock,
    LowStockAlert,
    StockItem,
    StockMovement,
)


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


def availability(*, skus: list[str]) -> list[dict]:
    """Units free to sell per SKU (on hand less allocated, over all warehouses),
    with each warehouse's figure; unknown SKUs are left out. One query."""
    rows = (
        StockItem.objects.filter(product__sku__in=skus)
        .values("product__sku", "product__active", "warehouse__code")
        .annotate(free=F("on_hand") - F("allocated"))
        .order_by("product__sku", "warehouse__code")
    )
    found: dict[str, dict] = {}
    for row in rows:
        entry = found.setdefault(
            row["product__sku"],
            {
                "sku": row["product__sku"],
                "active": row["product__active"],
                "available": 0,
                "warehouses": [],
            },
        )
        free = max(row["free"], 0)
        entry["available"] += free
        entry["warehouses"].append({"code": row["warehouse__code"], "available": free})
    return list(found.values())


def expected_arrivals(*, product_ids: list[int]) -> dict[int, date]:
    """The earliest date more units of each product are expected (open expected
    deliveries only; products with none are left out). One query."""
    rows = (
        IncomingStock.objects.filter(
            product_id__in=product_ids, arrived_at__isnull=True
        )
        .values("product_id")
        .annotate(first=Min("expected_on"))
    )
    return {row["product_id"]: row["first"] for row in rows}


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


# Movements this recent are always summed again: a transaction that wrote a
# lower id may still commit (ids are handed out before commit).
SETTLE_MINUTES = 10


@dataclass(frozen=True)
class LedgerAudit:
    mismatches: list[LedgerMismatch]
    stock_rows: int
    movements_read: int
    full: bool


def ledger_audit(*, full: bool = False) -> LedgerAudit:
    """Check every stock row against its ledger; on success advance the checkpoints.

    Incremental by default: each row's checkpoint plus the movements after it.
    Rows without a checkpoint, or ``full=True``, are summed from the beginning.
    Runs on one consistent snapshot (REPEATABLE READ on PostgreSQL).
    """
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from inventory.models import LedgerCheckpoint

    # A snapshot of its own when it starts the transaction (a caller's transaction
    # already has one: its isolation level cannot change any more).
    own_snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if own_snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        recent = StockMovement.objects.filter(
            created_at__gte=timezone.now() - timedelta(minutes=SETTLE_MINUTES)
        ).aggregate(first=Min("id"))["first"]
        settled = (
            recent - 1
            if recent
            else (StockMovement.objects.aggregate(last=Max("id"))["last"] or 0)
        )
        items = list(StockItem.objects.select_related("product", "warehouse"))
        checkpoints = (
            {} if full else {c.stock_item_id: c for c in LedgerCheckpoint.objects.all()}
        )
        # One "through" for all (every audit writes them together); rows without
        # one, or with another, are summed from the start.
        through = min((c.through_movement for c in checkpoints.values()), default=0)
        fresh = [
            i.pk
            for i in items
            if i.pk not in checkpoints or checkpoints[i.pk].through_movement != through
        ]
        if not checkpoints:
            scopes = [Q()]  # everything, once
        else:
            # Only what came after the checkpoint: a range of the primary key.
            scopes = [Q(id__gt=through) & ~Q(stock_item_id__in=fresh)]
            if fresh:
                scopes.append(Q(stock_item_id__in=fresh))
        sums, read = {}, 0
        for scope in scopes:
            for row in (
                StockMovement.objects.filter(scope)
                .values("stock_item_id")
                .annotate(
                    n=Count("id"),
                    on_hand_old=Sum("on_hand_delta", filter=Q(id__lte=settled)),
                    allocated_old=Sum("allocated_delta", filter=Q(id__lte=settled)),
                    on_hand_new=Sum("on_hand_delta", filter=Q(id__gt=settled)),
                    allocated_new=Sum("allocated_delta", filter=Q(id__gt=settled)),
                )
                .order_by()
            ):
                sums[row["stock_item_id"]] = row
                read += row["n"]
        mismatches, advanced = [], []
        now = timezone.now()
        for item in items:
            base = checkpoints.get(item.pk) if item.pk not in fresh else None
            row = sums.get(item.pk, {})
            on_hand_old = (base.on_hand if base else 0) + (row.get("on_hand_old") or 0)
            allocated_old = (base.allocated if base else 0) + (
                row.get("allocated_old") or 0
            )
            on_hand = on_hand_old + (row.get("on_hand_new") or 0)
            allocated = allocated_old + (row.get("allocated_new") or 0)
            if (on_hand, allocated) != (item.on_hand, item.allocated):
                mismatches.append(
                    LedgerMismatch(
                        item=item, ledger_on_hand=on_hand, ledger_allocated=allocated
                    )
                )
            advanced.append(
                LedgerCheckpoint(
                    stock_item=item,
                    through_movement=settled,
                    on_hand=on_hand_old,
                    allocated=allocated_old,
                    checked_at=now,
                )
            )
        if not mismatches:
            LedgerCheckpoint.objects.bulk_create(
                advanced,
                update_conflicts=True,
                unique_fields=["stock_item"],
                update_fields=[
                    "through_movement",
                    "on_hand",
                    "allocated",
                    "checked_at",
                ],
            )
    return LedgerAudit(
        mismatches=mismatches, stock_rows=len(items), movements_read=read, full=full
    )


def inventory_summary() -> dict:
    """Counts for the dashboard: low and out-of-stock rows, counts awaiting work or approval."""
    from inventory.models import StockCount

    counts = StockCount.objects.filter(
        status__in=[StockCount.Status.OPEN, StockCount.Status.SUBMITTED]
    )
    # The same selector as the stock page the cards link to: a card's number is
    # always the number of rows its link lists.
    return {
        "low": stock_levels(state="low").count(),
        "stockouts": stock_levels(state="out").count(),
        "counts_open": counts.filter(status=StockCount.Status.OPEN).count(),
        "counts_to_approve": counts.filter(status=StockCount.Status.SUBMITTED).count(),
    }

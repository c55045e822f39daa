"""Returns analytics for managers: how often what comes back, why, from where,
how fast it is refunded, in what condition, and what customers say of it.

Return rates are read over a cohort: the orders delivered in the period and
the units of them that came (or are coming) back. Times, totals, grades and
feedback are read over the returns requested in the period. Every figure is
an aggregate in the database, grouped by the dimension it shows.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from statistics import median

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Channel, OrderLine, OrderLineAllocation
from orders.events.models import EventType
from returns.models import (
    COUNTING,
    RS,
    Grade,
    Reason,
    Return,
    ReturnAlertRule,
    ReturnLine,
)

HUNDRED = Decimal(100)

# The dimensions a return rate is shown by: (label, key on an order line, key on
# a return line). Warehouse and packer are looked up per line (see _keys).
DIMENSIONS = {
    "product": _("Product"),
    "category": _("Category"),
    "reason": _("Reason"),
    "channel": _("Channel"),
    "warehouse": _("Warehouse"),
    "packer": _("Packer"),
}


def _sum_by(rows, *keys) -> dict:
    """``{key: units}`` from rows of (key fields…, units), adding rows of one key."""
    found = defaultdict(int)
    for *values, n in rows:
        key = tuple(values) if len(keys) > 1 else values[0]
        found[key if key is not None else ""] += n or 0
    return found


def _rate(returned: int, delivered: int) -> Decimal | None:
    if not delivered:
        return None
    return (Decimal(returned) * HUNDRED / delivered).quantize(Decimal("0.1"))


# Per line: (product id, SKU, category, channel); the product, category and
# channel tables are sums over these, read in one query per side.
LINE_KEYS = ("product", "sku", "product__category", "order__channel")
# The page reads a review this many seconds old at most (a million orders'
# cohort takes seconds to add up; see docs/benchmarks.md).
CACHE_SECONDS = 300


def cached_review(*, days: int) -> dict:
    """``returns_review`` from the cache when it is fresh enough; the cache
    unavailable (Redis down), computed on the spot."""
    from django.core.cache import cache

    # Any change to a return makes a new key; deliveries alone wait for the expiry.
    version = Return.objects.aggregate(last=Max("updated_at"), n=Count("pk"))
    key = f"returns-review:{days}:{version['last']}:{version['n']}".replace(" ", "_")
    try:
        review = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache failure only costs the time
        review = None
    if review is None:
        review = returns_review(days=days)
        review["as_of"] = timezone.now()
        try:
            cache.set(key, review, CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    return review


def returns_review(*, days: int = 90, now=None) -> dict:
    """Every figure and table of the analytics page for the last ``days`` days."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    # The cohort: lines of the orders delivered in the period (the partial index
    # ``order_delivered_at`` finds them), and those of its units coming back.
    delivered = OrderLine.objects.filter(order__delivered_at__gte=since)
    returned = ReturnLine.objects.filter(
        rma__status__in=COUNTING, order_line__order__delivered_at__gte=since
    )
    out_units = list(
        delivered.values_list(*LINE_KEYS).annotate(n=Sum("quantity")).order_by()
    )
    back_units = list(
        returned.values_list(*(f"order_line__{k}" for k in LINE_KEYS), "reason")
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    total_delivered = sum(n for *_k, n in out_units)
    total_returned = sum(n for *_k, n in back_units)
    tables = {}
    for name, index in (("product", 1), ("category", 2), ("channel", 3)):
        tables[name] = _table(
            _sum_by(((row[index], row[-1]) for row in out_units), name),
            _sum_by(((row[index], row[-1]) for row in back_units), name),
        )
    channel_names = dict(Channel.choices)
    for row in tables["channel"]:
        row["key"] = str(channel_names.get(row["key"], row["key"]))
    # Where the units left from (their allocations) and who packed them (the
    # packing fact): one grouped query each per side.
    tables["warehouse"] = _table(
        _sum_by(
            OrderLineAllocation.objects.filter(line__order__delivered_at__gte=since)
            .values_list("stock_item__warehouse__name")
            .annotate(n=Sum("quantity"))
            .order_by(),
            "warehouse",
        ),
        _sum_by(
            # a returned line counts once, where its first allocation was
            returned.annotate(
                shipped_from=Subquery(
                    OrderLineAllocation.objects.filter(line=OuterRef("order_line"))
                    .order_by("pk")
                    .values("stock_item__warehouse__name")[:1]
                )
            )
            .values_list("shipped_from")
            .annotate(n=Sum("quantity"))
            .order_by(),
            "warehouse",
        ),
    )
    packed = Q(order__events__type=EventType.PACKED)
    tables["packer"] = _table(
        _sum_by(
            delivered.filter(packed)
            .values_list("order__events__actor__username")
            .annotate(n=Sum("quantity"))
            .order_by(),
            "packer",
        ),
        _sum_by(
            returned.filter(order_line__order__events__type=EventType.PACKED)
            .values_list("order_line__order__events__actor__username")
            .annotate(n=Sum("quantity"))
            .order_by(),
            "packer",
        ),
    )
    by_reason = _sum_by(((row[4], row[-1]) for row in back_units), "reason")
    tables["reason"] = sorted(
        (
            {
                "key": str(Reason(code).label) if code in Reason.values else code,
                "code": code,
                "delivered": total_delivered,
                "returned": n,
                "rate": _rate(n, total_delivered),
            }
            for code, n in by_reason.items()
        ),
        key=lambda r: -r["returned"],
    )
    requested = Return.objects.filter(requested_at__gte=since)
    return {
        "days": days,
        "since": since,
        "delivered": total_delivered,
        "returned": total_returned,
        "rate": _rate(total_returned, total_delivered),
        "tables": tables,
        "alerts": _alerts(out_units, back_units),
        **_money_and_time(requested),
        "grades": _grades(requested),
        "feedback": _feedback(requested),
        "weeks": _weeks(requested),
    }


def _table(delivered: dict, returned: dict) -> list[dict]:
    """Rows of a dimension: units delivered, returned and the rate, worst first."""
    rows = [
        {
            "key": key or "—",
            "delivered": delivered.get(key, 0),
            "returned": returned.get(key, 0),
            "rate": _rate(returned.get(key, 0), delivered.get(key, 0)),
        }
        for key in set(delivered) | set(returned)
    ]
    return sorted(rows, key=lambda r: (-(r["rate"] or 0), -r["returned"], r["key"]))


def _alerts(out_units, back_units) -> list[dict]:
    """Products whose return rate for a rule's reason is above its threshold."""
    rules = list(ReturnAlertRule.objects.all())
    if not rules:
        return []
    units = _sum_by(((row[0], row[-1]) for row in out_units), "product")
    sku = {row[0]: row[1] for row in out_units}
    back = defaultdict(int)
    for product, _sku, _category, _channel, reason, n in back_units:
        back[(product, reason)] += n
        back[(product, "")] += n
    found = []
    for rule in rules:
        for (product, reason), n in back.items():
            if reason != rule.reason or units.get(product, 0) < rule.min_units:
                continue
            rate = _rate(n, units[product])
            if rate is not None and rate > rule.threshold_percent:
                found.append(
                    {
                        "sku": sku.get(product, ""),
                        "rule": rule,
                        "rate": rate,
                        "units": n,
                    }
                )
    return sorted(found, key=lambda a: -a["rate"])


def _money_and_time(requested) -> dict:
    refunded = requested.filter(status=RS.REFUNDED)
    totals = refunded.aggregate(
        total=Sum(Coalesce("refund_override", "refund_amount")),
        count=Count("pk"),
    )
    waits = [
        d.total_seconds() / 86400
        for d in refunded.annotate(
            took=ExpressionWrapper(
                F("finished_at") - F("requested_at"), output_field=DurationField()
            )
        ).values_list("took", flat=True)
        if d is not None
    ]
    return {
        "refunded_total": totals["total"] or Decimal("0.00"),
        "refunded_count": totals["count"],
        "days_to_refund": round(sum(waits) / len(waits), 1) if waits else None,
        "median_days_to_refund": round(median(waits), 1) if waits else None,
        "requested_count": requested.count(),
    }


def _grades(requested) -> list[tuple[str, int]]:
    counted = dict(
        ReturnLine.objects.filter(rma__in=requested)
        .exclude(grade="")
        .values("grade")
        .annotate(n=Sum("received_quantity"))
        .values_list("grade", "n")
    )
    return [(str(label), counted.get(code, 0) or 0) for code, label in Grade.choices]


def _feedback(requested) -> dict:
    answered = requested.filter(feedback_at__isnull=False).aggregate(
        n=Count("pk"),
        easy=Count("pk", filter=Q(feedback_easy=True)),
        resolved=Count("pk", filter=Q(feedback_resolved=True)),
    )
    n = answered["n"]
    return {
        "answers": n,
        "easy": _rate(answered["easy"], n),
        "resolved": _rate(answered["resolved"], n),
        "comments": list(
            requested.exclude(feedback_comment="")
            .order_by("-feedback_at")
            .values_list("number", "feedback_comment")[:10]
        ),
    }


def _weeks(requested) -> list[tuple[str, int, int]]:
    rows = (
        requested.annotate(week=TruncWeek("requested_at"))
        .values("week")
        .annotate(n=Count("pk"), refunded=Count("pk", filter=Q(status=RS.REFUNDED)))
        .order_by("week")
    )
    return [(r["week"].date().isoformat(), r["n"], r["refunded"]) for r in rows]

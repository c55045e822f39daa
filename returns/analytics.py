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
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import Product
from orders.core.models import Channel, OrderLine, OrderLineAllocation
from orders.events.models import EventType, OrderEvent
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


def _warehouse(line_ref: str):
    return Subquery(
        OrderLineAllocation.objects.filter(line=OuterRef(line_ref))
        .order_by("pk")
        .values("stock_item__warehouse__name")[:1]
    )


def _packer(order_ref: str):
    return Subquery(
        OrderEvent.objects.filter(order=OuterRef(order_ref), type=EventType.PACKED)
        .order_by("-pk")
        .values("actor__username")[:1]
    )


def _grouped(rows, key: str, amount: str) -> dict:
    return {
        (row[key] if row[key] is not None else ""): row[amount] or 0 for row in rows
    }


def _rate(returned: int, delivered: int) -> Decimal | None:
    if not delivered:
        return None
    return (Decimal(returned) * HUNDRED / delivered).quantize(Decimal("0.1"))


def returns_review(*, days: int = 90, now=None) -> dict:
    """Every figure and table of the analytics page for the last ``days`` days."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    delivered = OrderLine.objects.filter(order__delivered_at__gte=since)
    returned = ReturnLine.objects.filter(
        rma__status__in=COUNTING, order_line__order__delivered_at__gte=since
    )
    keys = {
        "product": ("sku", "order_line__sku"),
        "category": ("product__category", "order_line__product__category"),
        "channel": ("order__channel", "order_line__order__channel"),
    }
    tables = {}
    total_delivered = delivered.aggregate(n=Sum("quantity"))["n"] or 0
    total_returned = returned.aggregate(n=Sum("quantity"))["n"] or 0
    for name, (line_key, return_key) in keys.items():
        tables[name] = _table(
            _grouped(
                delivered.values(line_key).annotate(n=Sum("quantity")), line_key, "n"
            ),
            _grouped(
                returned.values(return_key).annotate(n=Sum("quantity")),
                return_key,
                "n",
            ),
        )
    tables["warehouse"] = _table(
        _grouped(
            OrderLineAllocation.objects.filter(line__order__delivered_at__gte=since)
            .values("stock_item__warehouse__name")
            .annotate(n=Sum("quantity")),
            "stock_item__warehouse__name",
            "n",
        ),
        _grouped(
            returned.annotate(key=_warehouse("order_line"))
            .values("key")
            .annotate(n=Sum("quantity")),
            "key",
            "n",
        ),
    )
    tables["packer"] = _table(
        _grouped(
            delivered.annotate(key=_packer("order"))
            .values("key")
            .annotate(n=Sum("quantity")),
            "key",
            "n",
        ),
        _grouped(
            returned.annotate(key=_packer("order_line__order"))
            .values("key")
            .annotate(n=Sum("quantity")),
            "key",
            "n",
        ),
    )
    by_reason = _grouped(
        returned.values("reason").annotate(n=Sum("quantity")), "reason", "n"
    )
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
    channel_names = dict(Channel.choices)
    for row in tables["channel"]:
        row["key"] = str(channel_names.get(row["key"], row["key"]))
    requested = Return.objects.filter(requested_at__gte=since)
    return {
        "days": days,
        "since": since,
        "delivered": total_delivered,
        "returned": total_returned,
        "rate": _rate(total_returned, total_delivered),
        "tables": tables,
        "alerts": _alerts(delivered, returned),
        **_money_and_time(requested),
        "grades": _grades(requested),
        "feedback": _feedback(requested),
        "weeks": _weeks(requested),
        "statuses": dict(
            requested.values("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        ),
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


def _alerts(delivered, returned) -> list[dict]:
    """Products whose return rate for a rule's reason is above its threshold."""
    rules = list(ReturnAlertRule.objects.all())
    if not rules:
        return []
    units = dict(
        delivered.values("product")
        .annotate(n=Sum("quantity"))
        .values_list("product", "n")
    )
    back = defaultdict(int)
    for product, reason, n in (
        returned.values("order_line__product", "reason")
        .annotate(n=Sum("quantity"))
        .values_list("order_line__product", "reason", "n")
    ):
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
                    {"product_id": product, "rule": rule, "rate": rate, "units": n}
                )
    names = dict(
        Product.objects.filter(pk__in={a["product_id"] for a in found}).values_list(
            "pk", "sku"
        )
    )
    for alert in found:
        alert["sku"] = names.get(alert["product_id"], "")
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

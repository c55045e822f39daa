"""Stock counts (the regular audit): open, count, submit, approve or cancel.

Counted quantities are compared with the system's on-hand at the moment they
are entered. Approval by a manager writes one count-correction movement per
discrepancy; counts and their lines stay on record.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.exceptions import (
    CountClosed,
    InventoryError,
    NotAllowed,
)
from inventory.facts import stock_increased
from inventory.locks import lock_stock_items
from inventory.models import (
    StockCount,
    StockCountLine,
    StockItem,
    StockMovement,
    Warehouse,
)
from inventory.services import _move, _require_perm, units

Status = StockCount.Status


def _lock_count(count: StockCount, *, expect: str) -> StockCount:
    fresh = StockCount.objects.select_for_update().get(pk=count.pk)
    if fresh.status != expect:
        raise CountClosed(
            _(
                "Count %(number)s is %(status)s; this is only possible while it is %(expect)s."
            )
            % {
                "number": fresh.number,
                "status": fresh.get_status_display().lower(),
                "expect": Status(expect).label.lower(),
            }
        )
    return fresh


def count_open(
    *, warehouse: Warehouse, actor, product_ids: list[int] | None = None, note: str = ""
) -> StockCount:
    """Start counting a warehouse: every stock item in it, or those of some products."""
    _require_perm(actor, "inventory.add_stockcount", _("open stock counts"))
    items = StockItem.objects.filter(warehouse=warehouse)
    if product_ids:
        items = items.filter(product_id__in=product_ids)
    items = list(items.order_by("pk"))
    if not items:
        raise InventoryError(_("There is nothing to count in that selection."))
    with transaction.atomic():
        count = StockCount.objects.create(
            warehouse=warehouse, opened_by=actor, note=note
        )
        count.number = f"CNT-{count.pk:06d}"
        count.save(update_fields=["number"])
        StockCountLine.objects.bulk_create(
            [StockCountLine(count=count, stock_item=item) for item in items]
        )
    return count


def count_record(*, count: StockCount, quantities: dict[int, int], actor) -> StockCount:
    """Enter counted quantities by line id; the system's on-hand is noted beside each."""
    _require_perm(actor, "inventory.change_stockcount", _("enter stock counts"))
    for quantity in quantities.values():
        units(quantity, least=0, what=_("A counted quantity"))
    with transaction.atomic():
        count = _lock_count(count, expect=Status.OPEN)
        lines = {line.pk: line for line in count.lines.select_related("stock_item")}
        unknown = set(quantities) - set(lines)
        if unknown:
            raise InventoryError(_("Those lines are not part of this count."))
        on_hand = dict(
            StockItem.objects.filter(
                pk__in=[lines[i].stock_item_id for i in quantities]
            ).values_list("pk", "on_hand")
        )
        changed = []
        for line_id, quantity in quantities.items():
            line = lines[line_id]
            line.counted, line.counted_by = quantity, actor
            line.expected = on_hand[line.stock_item_id]
            changed.append(line)
        StockCountLine.objects.bulk_update(
            changed, ["counted", "counted_by", "expected"]
        )
    return count


def count_submit(*, count: StockCount, actor) -> StockCount:
    """Counting is done: every line needs a quantity; a manager decides next."""
    _require_perm(actor, "inventory.change_stockcount", _("submit stock counts"))
    with transaction.atomic():
        count = _lock_count(count, expect=Status.OPEN)
        missing = count.lines.filter(counted__isnull=True).count()
        if missing:
            raise InventoryError(
                _("%(n)d line(s) have no counted quantity yet.") % {"n": missing}
            )
        count.status, count.submitted_by, count.submitted_at = (
            Status.SUBMITTED,
            actor,
            timezone.now(),
        )
        count.save(update_fields=["status", "submitted_by", "submitted_at"])
    return count


def count_approve(*, count: StockCount, actor) -> StockCount:
    """Accept the discrepancies: one count-correction movement per line that differs."""
    if actor is None or not actor.has_perm("inventory.approve_stockcount"):
        raise NotAllowed(_("Only a manager may approve a stock count."))
    with transaction.atomic():
        count = _lock_count(count, expect=Status.SUBMITTED)
        lines = [line for line in count.lines.all() if line.discrepancy]
        items = lock_stock_items(ids=[line.stock_item_id for line in lines])
        gained = []
        for line in sorted(lines, key=lambda line: line.stock_item_id):
            item = items[line.stock_item_id]
            if item.on_hand + line.discrepancy < item.allocated:
                raise InventoryError(
                    _(
                        "%(item)s: the count leaves fewer units than are allocated to "
                        "orders (%(allocated)d). Resolve those orders first."
                    )
                    % {"item": item, "allocated": item.allocated}
                )
            _move(
                item=item,
                kind=StockMovement.Kind.COUNT_CORRECTION,
                on_hand=line.discrepancy,
                actor=actor,
                reference=count.number,
                reason=_("Stock count: counted %(counted)d, expected %(expected)d")
                % {"counted": line.counted, "expected": line.expected},
            )
            if line.discrepancy > 0:
                gained.append(item.product_id)
        count.status, count.decided_by, count.decided_at = (
            Status.APPROVED,
            actor,
            timezone.now(),
        )
        count.save(update_fields=["status", "decided_by", "decided_at"])
        if gained:
            stock_increased(product_ids=gained, reference=count.number)
    return count


def count_cancel(*, count: StockCount, actor, reason: str) -> StockCount:
    """Abandon an open or submitted count; nothing changes in stock."""
    _require_perm(actor, "inventory.change_stockcount", _("cancel stock counts"))
    reason = (reason or "").strip()
    if not reason:
        raise InventoryError(_("Give a reason to cancel the count."))
    with transaction.atomic():
        fresh = StockCount.objects.select_for_update().get(pk=count.pk)
        if fresh.status not in (Status.OPEN, Status.SUBMITTED):
            raise CountClosed(
                _("Count %(number)s is already closed.") % {"number": fresh.number}
            )
        fresh.status, fresh.decided_by, fresh.decided_at = (
            Status.CANCELLED,
            actor,
            timezone.now(),
        )
        fresh.note = "\n".join(
            filter(None, [fresh.note, _("Cancelled: %(r)s") % {"r": reason}])
        )
        fresh.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return fresh

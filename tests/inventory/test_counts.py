"""Stock counts: open, count, submit, approve (writes corrections) or cancel."""

import pytest

from inventory import counts, services
from inventory.exceptions import (
    CountClosed,
    InvalidQuantity,
    InventoryError,
    NotAllowed,
)
from inventory.models import StockCount, StockItem, StockMovement
from inventory.selectors import ledger_mismatches
from orders.permissions import Role
from tests.factories.inventory import ProductFactory


@pytest.fixture
def counted(staff, stock, warehouse):
    """An open count of two items with 10 and 4 on hand."""
    a, b = ProductFactory(sku="A-1"), ProductFactory(sku="B-1")
    stock(a, 10)
    stock(b, 4)
    count = counts.count_open(warehouse=warehouse, actor=staff[Role.WAREHOUSE])
    lines = {
        line.stock_item.product.sku: line
        for line in count.lines.select_related("stock_item__product")
    }
    return count, lines


@pytest.mark.django_db
def test_a_count_corrects_stock_on_approval_only(counted, staff):
    count, lines = counted
    counts.count_record(
        count=count,
        quantities={lines["A-1"].pk: 8, lines["B-1"].pk: 4},
        actor=staff[Role.WAREHOUSE],
    )
    line = count.lines.get(pk=lines["A-1"].pk)
    assert (line.expected, line.counted, line.discrepancy) == (10, 8, -2)
    counts.count_submit(count=count, actor=staff[Role.WAREHOUSE])
    # nothing moves before a manager approves
    assert StockItem.objects.get(product__sku="A-1").on_hand == 10

    counts.count_approve(count=count, actor=staff[Role.MANAGER])

    assert StockItem.objects.get(product__sku="A-1").on_hand == 8
    assert StockItem.objects.get(product__sku="B-1").on_hand == 4
    corrections = StockMovement.objects.filter(kind=StockMovement.Kind.COUNT_CORRECTION)
    assert [
        (m.stock_item.product.sku, m.on_hand_delta, m.reference) for m in corrections
    ] == [("A-1", -2, count.number)]
    count.refresh_from_db()
    assert (count.status, count.decided_by) == (
        StockCount.Status.APPROVED,
        staff[Role.MANAGER],
    )
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_movements_between_counting_and_approval_are_kept(counted, staff):
    count, lines = counted
    counts.count_record(
        count=count,
        quantities={lines["A-1"].pk: 9, lines["B-1"].pk: 4},
        actor=staff[Role.WAREHOUSE],
    )
    counts.count_submit(count=count, actor=staff[Role.WAREHOUSE])
    item = StockItem.objects.get(product__sku="A-1")
    services.stock_receive(
        product=item.product,
        warehouse=item.warehouse,
        quantity=5,
        actor=None,
        reference="R",
    )
    counts.count_approve(count=count, actor=staff[Role.MANAGER])
    assert StockItem.objects.get(product__sku="A-1").on_hand == 14  # 10 - 1 + 5


@pytest.mark.django_db
def test_only_a_manager_approves(counted, staff):
    count, lines = counted
    counts.count_record(
        count=count,
        quantities={line.pk: 1 for line in lines.values()},
        actor=staff[Role.WAREHOUSE],
    )
    counts.count_submit(count=count, actor=staff[Role.WAREHOUSE])
    with pytest.raises(NotAllowed, match="manager"):
        counts.count_approve(count=count, actor=staff[Role.WAREHOUSE])


@pytest.mark.django_db
def test_submitting_needs_every_line_counted(counted, staff):
    count, lines = counted
    counts.count_record(
        count=count, quantities={lines["A-1"].pk: 10}, actor=staff[Role.WAREHOUSE]
    )
    with pytest.raises(InventoryError, match="1 line"):
        counts.count_submit(count=count, actor=staff[Role.WAREHOUSE])


@pytest.mark.django_db
def test_a_closed_count_takes_no_more_quantities(counted, staff):
    count, lines = counted
    counts.count_cancel(
        count=count, actor=staff[Role.WAREHOUSE], reason="Wrong warehouse"
    )
    with pytest.raises(CountClosed, match="cancelled"):
        counts.count_record(
            count=count, quantities={lines["A-1"].pk: 3}, actor=staff[Role.WAREHOUSE]
        )
    assert count.lines.filter(counted__isnull=False).count() == 0


@pytest.mark.django_db
def test_negative_counts_are_refused(counted, staff):
    count, lines = counted
    with pytest.raises(InvalidQuantity):
        counts.count_record(
            count=count, quantities={lines["A-1"].pk: -1}, actor=staff[Role.WAREHOUSE]
        )


@pytest.mark.django_db
def test_a_count_cannot_leave_fewer_units_than_allocated(staff, order_in, warehouse):
    order = order_in("allocated")
    item = StockItem.objects.get(product=order.lines.get().product)
    count = counts.count_open(
        warehouse=warehouse, actor=staff[Role.WAREHOUSE], product_ids=[item.product_id]
    )
    counts.count_record(
        count=count, quantities={count.lines.get().pk: 0}, actor=staff[Role.WAREHOUSE]
    )
    counts.count_submit(count=count, actor=staff[Role.WAREHOUSE])
    with pytest.raises(InventoryError, match="allocated to orders"):
        counts.count_approve(count=count, actor=staff[Role.MANAGER])
    item.refresh_from_db()
    assert item.on_hand == item.allocated
    assert StockCount.objects.get(pk=count.pk).status == StockCount.Status.SUBMITTED

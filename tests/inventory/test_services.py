"""Stock movements: receipts, adjustments, the ledger and its audit, the database's guards."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import F

from inventory import services
from inventory.exceptions import (
    InsufficientStock,
    InvalidQuantity,
    InventoryError,
    NotAllowed,
)
from inventory.models import GoodsReceipt, StockItem, StockMovement
from inventory.selectors import ledger_mismatches
from orders.permissions import Role
from tests.factories.inventory import ProductFactory, WarehouseFactory


@pytest.mark.django_db
class TestReceipts:
    def test_a_receipt_adds_stock_through_the_ledger(self, staff, warehouse):
        a, b = ProductFactory(), ProductFactory()
        receipt = services.receipt_create(
            warehouse=warehouse,
            supplier="Roastery Ltd",
            supplier_reference="DN-4711",
            lines=[services.ReceiptLine(a, 10), services.ReceiptLine(b, 3)],
            actor=staff[Role.WAREHOUSE],
        )
        assert receipt.number == f"RCPT-{receipt.pk:06d}"
        assert StockItem.objects.get(product=a).on_hand == 10
        movement = StockMovement.objects.get(stock_item__product=b)
        assert (
            movement.kind,
            movement.on_hand_delta,
            movement.reference,
            movement.actor,
        ) == (
            StockMovement.Kind.RECEIPT,
            3,
            receipt.number,
            staff[Role.WAREHOUSE],
        )
        assert ledger_mismatches() == []

    @pytest.mark.parametrize("quantity", [0, -5])
    def test_bad_quantities_write_nothing(self, staff, warehouse, quantity):
        product = ProductFactory()
        with pytest.raises(InvalidQuantity):
            services.receipt_create(
                warehouse=warehouse,
                supplier="X",
                lines=[
                    services.ReceiptLine(ProductFactory(), 2),
                    services.ReceiptLine(product, quantity),
                ],
                actor=staff[Role.WAREHOUSE],
            )
        assert not GoodsReceipt.objects.exists()
        assert not StockMovement.objects.exists()

    def test_only_permitted_staff_receive(self, staff, warehouse):
        with pytest.raises(NotAllowed):
            services.receipt_create(
                warehouse=warehouse,
                supplier="X",
                lines=[services.ReceiptLine(ProductFactory(), 1)],
                actor=staff[Role.VERIFIER],
            )


@pytest.mark.django_db
class TestAdjustments:
    def test_an_adjustment_needs_a_reason_and_a_manager(self, staff, stock):
        item = stock(ProductFactory(), 5)
        with pytest.raises(InventoryError, match="reason"):
            services.stock_adjust(
                stock_item=item, delta=-1, actor=staff[Role.MANAGER], reason=""
            )
        with pytest.raises(NotAllowed):
            services.stock_adjust(
                stock_item=item, delta=-1, actor=staff[Role.WAREHOUSE], reason="Broken"
            )
        services.stock_adjust(
            stock_item=item, delta=-2, actor=staff[Role.MANAGER], reason="Broken jar"
        )
        item.refresh_from_db()
        assert item.on_hand == 3
        assert item.movements.filter(
            kind=StockMovement.Kind.ADJUSTMENT, reason="Broken jar"
        ).exists()

    def test_an_adjustment_cannot_take_allocated_units(self, staff, order_in):
        order = order_in("allocated")
        item = StockItem.objects.get(product=order.lines.get().product)
        with pytest.raises(InsufficientStock):
            services.stock_adjust(
                stock_item=item, delta=-1, actor=staff[Role.MANAGER], reason="Lost"
            )
        item.refresh_from_db()
        assert item.allocated == item.on_hand


@pytest.mark.django_db
class TestAllocationRule:
    def test_the_whole_request_or_nothing(self, stock, staff):
        plenty, scarce = ProductFactory(), ProductFactory()
        stock(plenty, 10)
        stock(scarce, 1)
        with pytest.raises(InsufficientStock) as error:
            services.stock_allocate(
                requests=[
                    services.AllocationRequest(key=1, product_id=plenty.pk, quantity=2),
                    services.AllocationRequest(key=2, product_id=scarce.pk, quantity=3),
                ],
                actor=None,
                reference="T",
            )
        assert [(s.sku, s.missing) for s in error.value.shortages] == [(scarce.sku, 2)]
        assert StockItem.objects.filter(allocated__gt=0).count() == 0

    def test_inactive_warehouses_are_not_allocated_from(self, stock, warehouse):
        product = ProductFactory()
        closed = WarehouseFactory(code="closed", active=False)
        stock(product, 5, where=closed)
        with pytest.raises(InsufficientStock):
            services.stock_allocate(
                requests=[
                    services.AllocationRequest(key=1, product_id=product.pk, quantity=1)
                ],
                actor=None,
                reference="T",
            )


@pytest.mark.django_db
class TestDatabaseGuards:
    @pytest.mark.parametrize(
        "change",
        [{"on_hand": -1}, {"allocated": -1}, {"allocated": F("on_hand") + 1}],
        ids=["negative-on-hand", "negative-allocated", "over-allocated"],
    )
    def test_check_constraints_refuse_impossible_stock(self, stock, change):
        item = stock(ProductFactory(), 3)
        with pytest.raises(IntegrityError), transaction.atomic():
            StockItem.objects.filter(pk=item.pk).update(**change)

    def test_ledger_rows_are_append_only(self, stock):
        movement = stock(ProductFactory(), 3).movements.get()
        movement.reason = "rewritten"
        with pytest.raises(ValueError, match="append-only"):
            movement.save()


@pytest.mark.django_db
class TestAuditStock:
    def test_a_clean_ledger_passes(self, stock, capsys):
        stock(ProductFactory(), 3)
        call_command("audit_stock")
        assert "All 1 stock rows match the ledger (" in capsys.readouterr().out

    def test_a_corrupted_row_is_reported_with_a_failing_exit(
        self, stock, order_in, capsys
    ):
        order_in("allocated")
        item = stock(ProductFactory(sku="CORRUPT-1"), 7)
        # Someone bypasses the services and edits the row directly.
        StockItem.objects.filter(pk=item.pk).update(on_hand=9)
        with pytest.raises(CommandError, match="1 of 2 stock rows disagree"):
            call_command("audit_stock")
        out = capsys.readouterr().out
        assert "MISMATCH CORRUPT-1" in out
        assert "on hand 9, ledger says 7" in out

    def test_later_runs_read_only_what_came_after_the_checkpoint(
        self, stock, staff, monkeypatch
    ):
        from datetime import timedelta

        from django.utils import timezone

        from inventory import selectors
        from inventory.models import StockMovement

        product = ProductFactory()
        for _ in range(5):
            stock(product, 3)
        # Older than the settling window: the first audit checkpoints all of it.
        StockMovement.objects.update(created_at=timezone.now() - timedelta(hours=1))
        first = selectors.ledger_audit()
        assert (first.mismatches, first.movements_read) == ([], 5)
        second = selectors.ledger_audit()
        assert (second.mismatches, second.movements_read) == ([], 0)
        stock(product, 2)  # new, and within the settling window
        third = selectors.ledger_audit()
        assert (third.mismatches, third.movements_read) == ([], 1)
        assert selectors.ledger_audit().movements_read == 1  # recent: read again

    def test_a_row_edited_behind_the_checkpoint_is_still_caught(self, stock):
        from inventory import selectors

        item = stock(ProductFactory(sku="EDITED-1"), 4)
        assert selectors.ledger_audit().mismatches == []
        StockItem.objects.filter(pk=item.pk).update(on_hand=40)
        [mismatch] = selectors.ledger_audit().mismatches
        assert (mismatch.item.pk, mismatch.ledger_on_hand) == (item.pk, 4)
        # a failed audit does not advance the checkpoints; --full agrees
        with pytest.raises(CommandError, match="1 of 1 stock rows disagree"):
            call_command("audit_stock", "--full")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_audit_takes_its_own_snapshot_outside_a_transaction(stock):
    """Run as beat or the command runs it: its own REPEATABLE READ transaction."""
    from inventory import selectors

    stock(ProductFactory(), 3)
    audit = selectors.ledger_audit()
    assert (audit.mismatches, audit.stock_rows) == ([], 1)
    call_command("audit_stock", "--full")

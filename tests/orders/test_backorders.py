"""Backorders: what is missing, filled first-come-first-served on arrival, split by choice."""

import pytest

from inventory import counts
from inventory import services as inventory
from inventory.models import StockItem
from orders.exceptions import InvalidOrder, TransitionNotAllowed
from orders.models import Order, OrderEvent, OrderStatus
from orders.notifications.emails import Kind
from orders.permissions import Role
from orders.stock import services as stock_services
from tests.factories.inventory import ProductFactory

S = OrderStatus


@pytest.fixture
def backordered(order_in, crew):
    """Place and verify an order for ``lines`` without stock, then run the inventory check."""

    def make(lines):
        order = order_in("verified", lines=lines, stocked=False)
        order = stock_services.order_check_inventory(order=order, actor=crew.warehouse)
        assert order.status == S.BACKORDERED
        return order

    return make


def _receive(product, quantity, staff, warehouse):
    return inventory.receipt_create(
        warehouse=warehouse,
        supplier="Roastery Ltd",
        lines=[inventory.ReceiptLine(product, quantity)],
        actor=staff[Role.WAREHOUSE],
    )


@pytest.mark.django_db
def test_a_receipt_fills_backorders_oldest_first(
    backordered, staff, warehouse, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    first, second, third = (backordered([(product, 2)]) for _ in range(3))

    with django_capture_on_commit_callbacks(execute=True):
        _receive(product, 5, staff, warehouse)

    statuses = [Order.objects.get(pk=o.pk).status for o in (first, second, third)]
    assert statuses == [S.ALLOCATED, S.ALLOCATED, S.BACKORDERED]
    assert StockItem.objects.get(product=product).allocated == 4
    # the third still waits, and says how much it is missing
    assert third.lines.get().backordered_quantity == 1
    moved = first.events.get(type=OrderEvent.Type.ALLOCATED)
    assert (moved.from_status, moved.actor_kind, moved.customer_visible) == (
        S.BACKORDERED,
        "system",
        True,
    )
    assert [a["quantity"] for a in moved.data["allocations"]] == [2]
    assert first.events.filter(
        type=OrderEvent.Type.EMAIL_QUEUED, data__kind=Kind.MOVING_AGAIN
    ).exists()


@pytest.mark.django_db
def test_a_large_order_does_not_hold_up_smaller_ones(
    backordered, staff, warehouse, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    big, small = backordered([(product, 10)]), backordered([(product, 1)])
    with django_capture_on_commit_callbacks(execute=True):
        _receive(product, 3, staff, warehouse)
    assert Order.objects.get(pk=big.pk).status == S.BACKORDERED
    assert Order.objects.get(pk=small.pk).status == S.ALLOCATED


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["adjustment", "count", "return"])
def test_any_stock_arrival_fills_backorders(
    backordered, staff, warehouse, stock, how, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    item = stock(product, 1)
    order = backordered([(product, 3)])
    with django_capture_on_commit_callbacks(execute=True):
        if how == "adjustment":
            inventory.stock_adjust(
                stock_item=item,
                delta=2,
                actor=staff[Role.MANAGER],
                reason="Found a box",
            )
        elif how == "return":
            inventory.stock_restock_return(
                product=product,
                warehouse=warehouse,
                quantity=2,
                actor=None,
                reference="RET-1",
            )
        else:
            count = counts.count_open(
                warehouse=warehouse,
                actor=staff[Role.WAREHOUSE],
                product_ids=[product.pk],
            )
            counts.count_record(
                count=count,
                quantities={count.lines.get().pk: 3},
                actor=staff[Role.WAREHOUSE],
            )
            counts.count_submit(count=count, actor=staff[Role.WAREHOUSE])
            counts.count_approve(count=count, actor=staff[Role.MANAGER])
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED


@pytest.mark.django_db
def test_missing_quantities_are_exact_when_a_product_is_on_two_lines(
    backordered, stock
):
    product = ProductFactory()
    stock(product, 3)
    order = backordered([(product, 2), (product, 4)])
    assert list(
        order.lines.order_by("pk").values_list("backordered_quantity", flat=True)
    ) == [0, 3]


@pytest.mark.django_db
def test_retrying_a_still_short_order_says_what_is_missing(backordered, crew):
    product = ProductFactory(sku="SHORT-1")
    order = backordered([(product, 2)])
    with pytest.raises(TransitionNotAllowed, match="SHORT-1: 2 missing"):
        stock_services.order_check_inventory(order=order, actor=crew.warehouse)


class TestSplit:
    @pytest.mark.django_db
    def test_staff_ship_what_is_in_stock_and_the_rest_follows(
        self, backordered, stock, crew
    ):
        here, missing = (
            ProductFactory(unit_price="10.00"),
            ProductFactory(unit_price="5.00"),
        )
        stock(here, 2)
        stock(missing, 1)
        order = backordered([(here, 2), (missing, 3)])
        short_line = order.lines.get(product=missing)

        child = stock_services.order_split_backorder(
            order=order, actor=crew.warehouse, line_ids=[short_line.pk]
        )

        order.refresh_from_db()
        assert order.status == S.ALLOCATED
        assert sorted(order.lines.values_list("sku", "quantity")) == sorted(
            [(here.sku, 2), (missing.sku, 1)]
        )
        assert order.subtotal == 25
        assert child.split_from == order
        assert child.status == S.BACKORDERED
        assert list(
            child.lines.values_list("sku", "quantity", "backordered_quantity")
        ) == [(missing.sku, 2, 2)]
        assert child.subtotal == 10
        assert child.verified_by == order.verified_by
        split = order.events.get(type=OrderEvent.Type.SPLIT_OFF)
        assert split.customer_visible and split.data["child_id"] == child.pk
        assert child.events.get(type=OrderEvent.Type.SPLIT_FROM).data == {
            "parent_id": order.pk,
            "parent": order.number,
        }

    @pytest.mark.django_db
    def test_the_split_part_is_filled_when_stock_arrives(
        self,
        backordered,
        stock,
        crew,
        staff,
        warehouse,
        django_capture_on_commit_callbacks,
    ):
        here, missing = ProductFactory(), ProductFactory()
        stock(here, 1)
        order = backordered([(here, 1), (missing, 2)])
        child = stock_services.order_split_backorder(
            order=order,
            actor=crew.warehouse,
            line_ids=[order.lines.get(product=missing).pk],
        )
        with django_capture_on_commit_callbacks(execute=True):
            _receive(missing, 2, staff, warehouse)
        assert Order.objects.get(pk=child.pk).status == S.ALLOCATED

    @pytest.mark.django_db
    def test_nothing_in_stock_means_nothing_to_split(self, backordered, crew):
        order = backordered([(ProductFactory(), 2)])
        with pytest.raises(InvalidOrder, match="nothing to ship now"):
            stock_services.order_split_backorder(
                order=order, actor=crew.warehouse, line_ids=[order.lines.get().pk]
            )
        assert not Order.objects.filter(split_from=order).exists()

    @pytest.mark.django_db
    def test_only_waiting_lines_of_this_order_can_be_split(
        self, backordered, stock, crew
    ):
        here, missing = ProductFactory(), ProductFactory()
        stock(here, 1)
        order = backordered([(here, 1), (missing, 1)])
        with pytest.raises(InvalidOrder):
            stock_services.order_split_backorder(
                order=order,
                actor=crew.warehouse,
                line_ids=[order.lines.get(product=here).pk],
            )


def _as_stored(order):
    fields = ("pk", "quantity", "backordered_quantity", "line_total", "tax_amount")
    carried = [tuple(getattr(line, f) for f in fields) for line in order.lines.all()]
    stored = list(
        order.lines.model.objects.filter(order=order)
        .order_by("pk")
        .values_list(*fields)
    )
    return carried, stored


@pytest.mark.django_db
def test_the_lines_a_service_hands_on_are_the_stored_ones(backordered, stock, crew):
    """Services pass the order's lines on to their facts and emails without reading
    them again; after each step they must be what the database holds."""
    product, other = ProductFactory(), ProductFactory()
    stock(other, 1)
    order = backordered([(product, 2), (other, 1)])
    carried, stored = _as_stored(order)
    assert carried == stored and stored[0][2] == 2  # the missing units
    stock(product, 2)
    order = stock_services.order_check_inventory(order=order, actor=crew.warehouse)
    carried, stored = _as_stored(order)
    assert order.status == S.ALLOCATED
    assert carried == stored and [row[2] for row in stored] == [0, 0]

"""Every service that touches stock, racing on the same multi-line stock on
PostgreSQL: deliveries, their reversals, inventory checks (and the backorder
filling a delivery triggers), shipments, cancellations, adjustments and a stock
count. No call may die of a deadlock or any other database error; the ledger
explains every row afterwards."""

import random
import threading

import pytest
from django.db import DatabaseError, connection

from inventory import counts, services
from inventory.exceptions import InventoryError
from inventory.models import StockItem, StockMovement
from inventory.selectors import ledger_mismatches
from orders.core import services as order_services
from orders.exceptions import OrderError
from orders.fulfilment import services as fulfilment
from orders.models import Order, OrderStatus
from orders.permissions import Role
from orders.stock import services as stock_services
from tests.factories.inventory import ProductFactory, WarehouseFactory

THREADS = 8
S = OrderStatus


def _run_all(actions, threads=THREADS):
    """Spread the actions over ``threads`` connections, released together."""
    queues = [actions[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads)
    outcomes, lock = [], threading.Lock()

    def run(queue):
        try:
            barrier.wait(timeout=30)
            for name, action in queue:
                try:
                    action()
                except (InventoryError, OrderError) as exc:
                    outcome = ("refused", name, exc)
                except DatabaseError as exc:
                    outcome = ("database error", name, exc)
                except Exception as exc:  # noqa: BLE001 - any other error fails the test
                    outcome = ("crash", name, exc)
                else:
                    outcome = ("done", name, None)
                with lock:
                    outcomes.append(outcome)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(q,)) for q in queues]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_stock_service_at_once_never_deadlocks(staff, crew, order_in, warehouse):
    rng = random.Random(11)
    north = WarehouseFactory(code="north")
    products = [ProductFactory(sku=f"P{i}") for i in range(6)]
    manager, keeper = staff[Role.MANAGER], staff[Role.WAREHOUSE]

    # given stock rows created in an order other than product order, in two warehouses
    for where in (north, warehouse):
        for product in reversed(products):
            services.stock_receive(
                product=product,
                warehouse=where,
                quantity=2,
                actor=manager,
                reference="OPENING",
            )

    def six_lines():
        lines = [(p, 1) for p in products]
        rng.shuffle(lines)
        return lines

    # orders in every state the racing services act on (each stocks its own units)
    to_check = [
        order_in(S.VERIFIED, lines=six_lines(), stocked=False) for _ in range(8)
    ]
    to_ship = [order_in(S.PACKED, lines=six_lines()) for _ in range(3)]
    to_cancel = [order_in(S.ALLOCATED, lines=six_lines()) for _ in range(3)]
    earlier = [
        services.receipt_create(
            warehouse=warehouse,
            supplier="Earlier",
            lines=[services.ReceiptLine(p, 1) for p, _q in six_lines()],
            actor=keeper,
        )
        for _ in range(2)
    ]
    count = counts.count_open(warehouse=north, actor=keeper)
    counts.count_record(
        count=count,
        quantities={line.pk: 7 for line in count.lines.all()},
        actor=keeper,
    )
    count = counts.count_submit(count=count, actor=keeper)
    adjustable = list(StockItem.objects.all())

    def receipt(where):
        return lambda: services.receipt_create(
            warehouse=where,
            supplier="Roastery Ltd",
            lines=[services.ReceiptLine(p, 3) for p, _q in six_lines()],
            actor=keeper,
        )

    def check(order):
        return lambda: stock_services.order_check_inventory(
            order=Order.objects.get(pk=order.pk), actor=crew.warehouse
        )

    def ship(order):
        return lambda: fulfilment.order_ship(
            order=Order.objects.get(pk=order.pk),
            actor=crew.warehouse,
            carrier="DHL",
            tracking_number=f"T{order.pk}",
        )

    def cancel(order):
        return lambda: order_services.order_cancel(
            order=Order.objects.get(pk=order.pk), actor=manager, reason="Race"
        )

    def adjust(item, delta):
        return lambda: services.stock_adjust(
            stock_item=item, delta=delta, actor=manager, reason="Race"
        )

    def reverse_receipt(receipt):
        return lambda: services.receipt_reverse(
            receipt=receipt, actor=keeper, reason="Race"
        )

    actions = (
        [("receipt", receipt(w)) for w in (warehouse, north) * 4]
        + [("check", check(o)) for o in to_check]
        + [("ship", ship(o)) for o in to_ship]
        + [("cancel", cancel(o)) for o in to_cancel]
        + [("adjust", adjust(i, rng.choice([1, 2, -1]))) for i in adjustable[:4]]
        + [("reverse", reverse_receipt(r)) for r in earlier]
        + [("count", lambda: counts.count_approve(count=count, actor=manager))]
    )
    rng.shuffle(actions)

    # when they all run at once
    outcomes = _run_all(actions)

    # then nothing died of a deadlock or any other database error
    failures = [o for o in outcomes if o[0] in ("database error", "crash")]
    assert failures == [], failures
    assert len(outcomes) == len(actions)
    done = {name for status, name, _exc in outcomes if status == "done"}
    assert {"receipt", "check", "ship", "cancel", "count"} <= done, outcomes
    # and stock, ledger and orders agree
    assert ledger_mismatches() == []
    for item in StockItem.objects.all():
        assert 0 <= item.allocated <= item.on_hand
    for order in to_ship:
        assert Order.objects.get(pk=order.pk).status == S.SHIPPED
    for order in to_cancel:
        assert Order.objects.get(pk=order.pk).status == S.CANCELLED
    for order in to_check:
        status = Order.objects.get(pk=order.pk).status
        assert status in (S.ALLOCATED, S.BACKORDERED)
    assert StockMovement.objects.filter(kind="reversal").count() in (0, 6, 12)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_page_sent_from_two_tabs_at_once_books_once(staff, warehouse):
    from inventory.exceptions import AlreadyRecorded
    from inventory.models import GoodsReceipt

    products = [ProductFactory(sku=f"P{i}") for i in range(3)]
    item = services.stock_receive(
        product=products[0], warehouse=warehouse, quantity=5, actor=None, reference="X"
    )

    def book():
        return services.receipt_create(
            warehouse=warehouse,
            supplier="Roastery Ltd",
            lines=[services.ReceiptLine(p, 4) for p in products],
            actor=staff[Role.WAREHOUSE],
            submission_key="tab-key-1",
        )

    def adjust():
        return services.stock_adjust(
            stock_item=item,
            delta=-1,
            actor=staff[Role.MANAGER],
            reason="Dropped",
            submission_key="tab-key-2",
        )

    outcomes = _run_all([("book", book)] * 4 + [("adjust", adjust)] * 4, threads=8)
    statuses = sorted((status, name) for status, name, _exc in outcomes)
    assert (
        statuses
        == [("done", "adjust"), ("done", "book")]
        + [("refused", "adjust")] * 3
        + [("refused", "book")] * 3
    ), outcomes
    assert all(isinstance(exc, AlreadyRecorded) for status, _n, exc in outcomes if exc)
    assert GoodsReceipt.objects.count() == 1
    item.refresh_from_db()
    assert item.on_hand == 5 + 4 - 1
    assert ledger_mismatches() == []

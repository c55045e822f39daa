"""Allocation under contention on PostgreSQL: never oversold, never deadlocked."""

import random
import threading

import pytest
from django.db import connection

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import StockItem
from inventory.selectors import ledger_mismatches
from tests.factories.inventory import ProductFactory, WarehouseFactory

THREADS = 8
SINGLE_UNIT_TRIES = 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_allocations_of_50_units_across_8_threads(stock, warehouse):
    # given one SKU with 50 units in two warehouses, and two others for mixed orders
    north = WarehouseFactory(code="north")
    scarce, y, z = (
        ProductFactory(sku="SCARCE"),
        ProductFactory(sku="Y"),
        ProductFactory(sku="Z"),
    )
    stock(scarce, 30)
    stock(scarce, 20, where=north)
    stock(y, 40)
    stock(z, 40, where=north)

    one = [(scarce, 1)]
    # multi-line orders naming the same SKUs in different orders, to provoke deadlocks
    mixes = [
        [(y, 1), (scarce, 1)],
        [(scarce, 1), (z, 1), (y, 1)],
        [(z, 2), (y, 1)],
        [(y, 1), (z, 1)],
    ]
    work = [one] * SINGLE_UNIT_TRIES + [mixes[i % len(mixes)] for i in range(40)]
    random.Random(7).shuffle(work)
    queues = [work[i::THREADS] for i in range(THREADS)]

    granted: list[list[tuple]] = []
    refused, errors, violations = [], [], []
    lock = threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(THREADS + 1)

    def allocate(queue):
        try:
            barrier.wait(timeout=10)
            for n, lines in enumerate(queue):
                requests = [
                    services.AllocationRequest(key=k, product_id=p.pk, quantity=q)
                    for k, (p, q) in enumerate(lines)
                ]
                try:
                    services.stock_allocate(
                        requests=requests, actor=None, reference=f"RACE-{n}"
                    )
                except InsufficientStock:
                    with lock:
                        refused.append(lines)
                except Exception as exc:  # noqa: BLE001 - any other error fails the test
                    with lock:
                        errors.append(repr(exc))
                else:
                    with lock:
                        granted.append(lines)
        finally:
            connection.close()

    def watch():
        # Sample the rows while the race runs: the invariants must hold at every moment.
        try:
            barrier.wait(timeout=10)
            while not stop.is_set():
                for on_hand, allocated in StockItem.objects.values_list(
                    "on_hand", "allocated"
                ):
                    if on_hand < 0 or allocated < 0 or allocated > on_hand:
                        violations.append((on_hand, allocated))
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(q,)) for q in queues]
    watcher = threading.Thread(target=watch)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    watcher.join(timeout=10)

    # then no caller saw a deadlock or any other error, and nothing was oversold
    assert errors == []
    assert violations == []
    assert len(granted) + len(refused) == len(work)
    scarce_allocated = sum(
        StockItem.objects.filter(product=scarce).values_list("allocated", flat=True)
    )
    assert scarce_allocated == 50
    for product in (scarce, y, z):
        promised = sum(q for lines in granted for p, q in lines if p == product)
        assert promised == sum(
            StockItem.objects.filter(product=product).values_list(
                "allocated", flat=True
            )
        ), product.sku
    # and the ledger explains every row
    assert ledger_mismatches() == []

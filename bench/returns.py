"""Benchmark: returns at scale — the queue, a return's page, the status page's
returns, a request through the policy, the whole flow, and the analytics.

    DATABASE_URL=postgres://… .venv/bin/python bench/returns.py [--returns 20000] [--runs 5]

Against the load database (``generate_load_data``, docs/benchmarks.md). Inside one
transaction that is rolled back at the end (the database is left as it was, and
nothing is sent), it gives ``--returns`` delivered orders a return each, spread
over every state, then prints each figure (median of ``--runs``, milliseconds)
and its ratio to a bare indexed read of one order measured in the same run:

- the queue's counts and the first page of each tab, and whether the open queue
  reads its partial index (EXPLAIN);
- one return's page (the selector) and an order's returns on the status page;
- a customer's request checked against the policy (the service, approved at once);
- the whole common case: request, receipt, inspection with restock, refund;
- the managers' analytics over 90 and 365 days, added up and from the cache.
"""

import argparse
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal

from common import Rollback, median_ms, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from orders.core.models import Order, OrderLine, OrderStatus
    from orders.permissions import Role
    from ordersite.actors import CUSTOMER
    from returns import analytics, selectors, services
    from returns.models import RS, Return, ReturnLine, ReturnPolicy

    if connection.vendor != "postgresql":
        sys.exit("Run it against the PostgreSQL load database (DATABASE_URL).")
    total = Order.objects.count()
    pk = Order.objects.order_by("-pk").values_list("pk", flat=True)[0]

    def bare():
        Order.objects.filter(pk=pk).values_list("status", flat=True).first()

    rng = random.Random(16)
    users = get_user_model().objects
    warehouse_user = users.filter(groups__name=Role.WAREHOUSE).first()
    returns_user = users.filter(groups__name=Role.RETURNS).first()
    figures = []

    def measure(label, action):
        figures.append((label, median_ms(action, args.runs)))

    try:
        with transaction.atomic():
            now = timezone.now()
            delivered = list(
                Order.objects.filter(
                    status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED],
                    delivered_at__isnull=False,
                )
                .order_by("-pk")
                .values_list("pk", flat=True)[: args.returns + 50]
            )
            spare, delivered = delivered[:50], delivered[50:]
            first_line = dict(
                OrderLine.objects.filter(order__in=delivered)
                .order_by("order", "pk")
                .distinct("order")
                .values_list("order", "pk")
            )
            states = [
                (RS.REQUESTED, 5),
                (RS.APPROVED, 15),
                (RS.RECEIVED, 5),
                (RS.INSPECTED, 5),
                (RS.REFUNDED, 50),
                (RS.CLOSED, 5),
                (RS.REJECTED, 5),
                (RS.CANCELLED, 10),
            ]
            weights = [w for _s, w in states]
            start = time.perf_counter()
            rows, lines = [], []
            for i, order_id in enumerate(delivered):
                status = rng.choices([s for s, _w in states], weights)[0]
                asked = now - timedelta(days=rng.uniform(0, 365))
                done = status in (RS.REFUNDED, RS.CLOSED, RS.REJECTED, RS.CANCELLED)
                inspected = status in (RS.INSPECTED, RS.REFUNDED, RS.CLOSED)
                rows.append(
                    Return(
                        number=f"RMA-B{i:07d}",
                        order_id=order_id,
                        status=status,
                        source="customer",
                        outcome="refund",
                        shop_pays_shipping=True,
                        requested_at=asked,
                        refund_amount=Decimal("9.99") if inspected else None,
                        finished_at=asked + timedelta(days=rng.uniform(2, 15))
                        if done
                        else None,
                        feedback_easy=rng.random() < 0.8 if done else None,
                        feedback_resolved=rng.random() < 0.9 if done else None,
                        feedback_at=asked + timedelta(days=16) if done else None,
                    )
                )
            Return.objects.bulk_create(rows, batch_size=2000)
            for rma in rows:
                received = rma.status in (
                    RS.RECEIVED,
                    RS.INSPECTED,
                    RS.REFUNDED,
                    RS.CLOSED,
                )
                lines.append(
                    ReturnLine(
                        rma=rma,
                        order_line_id=first_line[rma.order_id],
                        quantity=1,
                        reason=rng.choice(
                            ["damaged", "defective", "wrong_item", "no_longer_needed"]
                        ),
                        received_quantity=1 if received else None,
                        grade=rng.choice("aabc")
                        if rma.status in (RS.INSPECTED, RS.REFUNDED, RS.CLOSED)
                        else "",
                    )
                )
            ReturnLine.objects.bulk_create(lines, batch_size=2000)
            made = time.perf_counter() - start
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE returns_return; ANALYZE returns_returnline")

            measure("baseline: one indexed order read", bare)
            measure("queue counts (every tab)", selectors.queue_counts)
            for show in selectors.QUEUES:
                measure(
                    f"queue first page: {show}",
                    lambda show=show: list(selectors.return_queue(show=show)[:50]),
                )
            one = rows[len(rows) // 2]
            measure(
                "one return's page (selector and lines)",
                lambda: list(selectors.return_detail(one.pk).lines.all()),
            )
            order = Order.objects.get(pk=one.order_id)
            measure(
                "an order's returns (status page)", lambda: selectors.returns_of(order)
            )

            policy = ReturnPolicy.current()
            policy.grace_days = 3650  # the generated deliveries are of any age
            policy.window_days = 3650
            policy.save()

            def a_request():
                sid = transaction.savepoint()
                target = Order.objects.get(pk=spare[0])
                line = target.lines.order_by("pk").first()
                services.return_request(
                    order=target,
                    asked=[
                        services.Asked(line_id=line.pk, quantity=1, reason="defective")
                    ],
                    outcome="refund",
                    actor=CUSTOMER,
                )
                transaction.savepoint_rollback(sid)

            measure("a customer's request (policy checked, approved)", a_request)

            def whole_flow():
                sid = transaction.savepoint()
                target = Order.objects.get(pk=spare[1])
                line = target.lines.order_by("pk").first()
                rma = services.return_request(
                    order=target,
                    asked=[
                        services.Asked(line_id=line.pk, quantity=1, reason="damaged")
                    ],
                    outcome="refund",
                    actor=CUSTOMER,
                )
                rma = services.return_receive(
                    rma=rma,
                    actor=warehouse_user,
                    arrived={x.pk: x.quantity for x in rma.lines.all()},
                )
                from inventory.models import Warehouse

                rma = services.return_inspect(
                    rma=rma,
                    actor=returns_user,
                    found={
                        x.pk: services.Inspection(
                            grade="a",
                            disposition="restock",
                            warehouse=Warehouse.objects.get(is_default=True),
                        )
                        for x in rma.lines.all()
                    },
                )
                services.return_refund(rma=rma, actor=returns_user)
                transaction.savepoint_rollback(sid)

            measure("request → receipt → inspection → refund", whole_flow)
            for days in (90, 365):
                measure(
                    f"analytics, {days} days (added up)",
                    lambda days=days: analytics.returns_review(days=days),
                )
            analytics.cached_review(days=90)
            measure(
                "analytics page's review, cached (90 days)",
                lambda: analytics.cached_review(days=90),
            )
            plan = (
                Return.objects.filter(status__in=["requested"])
                .order_by("requested_at", "pk")[:50]
                .explain()
            )
            raise Rollback
    except Rollback:
        pass

    base = figures[0][1]
    print(f"{total:,} orders; {len(rows):,} returns made in {made:.1f} s (rolled back)")
    for label, ms in figures:
        print(f"{label:55} {ms:9.2f} ms  {ms / base:8.1f}×")
    uses = "return_open_queue" in plan
    print(f"the open queue reads its partial index: {uses}")
    if not uses:
        print(plan)


if __name__ == "__main__":
    main()

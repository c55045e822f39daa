"""Benchmark: the delay scan, the delay pages' selectors and the review at scale.

    DATABASE_URL=postgres://… .venv/bin/python bench/delays.py [--runs 5]

Against the load database (``generate_load_data``, docs/benchmarks.md). Everything
runs inside one transaction that is rolled back at the end, so the database is
left as it was (each slip's own transaction is a savepoint here, and nothing is
sent). It prints:

- the first scan over the data as generated: how many orders are late, the cases
  it opens, its time and the time per case;
- a scan when nothing new is late (what the beat task does every five minutes),
  median of ``--runs``, and its ratio to a bare indexed query on the orders table
  measured in the same run; then the same after making 10× more orders late, to
  show the idle scan follows the late orders, not the table;
- the dashboard card, the queue's first page, the at-risk list and the review
  (52 weeks) with all those cases, each against the same baseline;
- whether each detection query reads its partial index (EXPLAIN).
"""

import argparse
import sys
import time

from common import Rollback, median_ms, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    setup()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from orders.core.models import Order, OrderStatus
    from orders.delays import selectors
    from orders.delays.models import Delay, StepTarget
    from orders.delays.services import delays_scan, detection_queries

    if connection.vendor != "postgresql":
        sys.exit("Run it against the PostgreSQL load database (DATABASE_URL).")
    total = Order.objects.count()
    pk = Order.objects.order_by("-pk").values_list("pk", flat=True)[0]

    def bare():
        Order.objects.filter(pk=pk).values_list("status", flat=True).first()

    def explain(qs) -> str:
        """The indexes the plan reads, or its top node if it reads none."""
        import re

        plan = qs.explain()
        used = sorted(
            set(
                re.findall(
                    r"(?:Index Scan|Index Only Scan) (?:Backward )?using (\w+)|Bitmap Index Scan on (\w+)",
                    plan,
                )
            )
        )
        names = sorted({a or b for a, b in used})
        return ", ".join(names) or "NO INDEX: " + plan.splitlines()[0]

    print(f"{total:,} orders; {Delay.objects.count()} delay cases before")
    try:
        with transaction.atomic():
            today = timezone.localdate()
            now = timezone.now()
            print("detection queries read:")
            targets = {t.status: t.hours for t in StepTarget.objects.all()}
            for name, query in detection_queries(
                today=today, now=now, targets=targets
            ).items():
                print(f"  {name:9}", explain(query))
            baseline = median_ms(bare, args.runs * 4)
            print(f"baseline (one indexed order read): {baseline:.2f} ms")

            start = time.perf_counter()
            first = delays_scan()
            spent = time.perf_counter() - start
            cases = len(first.opened)
            print(
                f"first scan: {first.slips} missed deadlines, {cases} cases opened in "
                f"{spent:.1f} s ({spent * 1000 / max(cases, 1):.1f} ms per case)"
            )
            idle = median_ms(delays_scan, args.runs)
            print(
                f"idle scan with {cases} late orders known: {idle:.1f} ms = {idle / baseline:.0f}× baseline"
            )

            for label, action in [
                ("dashboard card (delay_summary)", selectors.delay_summary),
                (
                    "queue, first page",
                    lambda: list(selectors.delay_cases(show="open")[:50]),
                ),
                ("at risk", selectors.at_risk),
                ("review, 52 weeks", lambda: selectors.delay_review(weeks=52)),
            ]:
                ms = median_ms(action, args.runs)
                print(f"{label}: {ms:.1f} ms = {ms / baseline:.0f}× baseline")

            # Ten times more late orders: open ones past their ship-by date.
            more = list(
                Order.objects.filter(status__in=OrderStatus.NOT_SHIPPED)
                .exclude(delays__isnull=False)
                .values_list("pk", flat=True)[: max(cases, 100) * 9]
            )
            Order.objects.filter(pk__in=more).update(ship_by=today - timedelta(days=3))
            start = time.perf_counter()
            second = delays_scan()
            spent = time.perf_counter() - start
            print(
                f"{len(more)} more orders made late: {len(second.opened)} cases opened in {spent:.1f} s"
            )
            idle_more = median_ms(delays_scan, args.runs)
            known = Delay.objects.filter(status="open").count()
            print(
                f"idle scan with {known} late orders known: {idle_more:.1f} ms = "
                f"{idle_more / baseline:.0f}× baseline ({idle_more / idle:.1f}× the idle scan "
                f"with {cases})"
            )
            raise Rollback
    except Rollback:
        print("rolled back: the database is as it was")


if __name__ == "__main__":
    main()

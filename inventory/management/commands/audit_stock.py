"""Check every stock row against its ledger and report mismatches (exit 1 if any).

Incremental: each row's last verified checkpoint plus the movements since (the
last few minutes' always again), so a run costs what happened since the last
one. ``--full`` sums the whole ledger again and rewrites the checkpoints.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import ledger_audit


class Command(BaseCommand):
    help = "Check every stock row against the sum of its ledger movements."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="sum the whole ledger instead of starting from the checkpoints",
        )

    def handle(self, *args, full=False, **options):
        started = time.perf_counter()
        audit = ledger_audit(full=full)
        for m in audit.mismatches:
            self.stdout.write(
                f"MISMATCH {m.item.product.sku} @ {m.item.warehouse.code} (stock item {m.item.pk}): "
                f"on hand {m.item.on_hand}, ledger says {m.ledger_on_hand}; "
                f"allocated {m.item.allocated}, ledger says {m.ledger_allocated}"
            )
        how = (
            f"{'full' if audit.full else 'incremental'}, {audit.movements_read} "
            f"movements read, {time.perf_counter() - started:.2f} s"
        )
        if audit.mismatches:
            raise CommandError(
                f"{len(audit.mismatches)} of {audit.stock_rows} stock rows disagree "
                f"with the ledger ({how})."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"All {audit.stock_rows} stock rows match the ledger ({how})."
            )
        )

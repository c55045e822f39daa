"""Recompute every stock row from the ledger and report mismatches (exit 1 if any)."""

from django.core.management.base import BaseCommand, CommandError

from inventory.models import StockItem
from inventory.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Check every stock row against the sum of its ledger movements."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        for m in mismatches:
            self.stdout.write(
                f"MISMATCH {m.item.product.sku} @ {m.item.warehouse.code} (stock item {m.item.pk}): "
                f"on hand {m.item.on_hand}, ledger says {m.ledger_on_hand}; "
                f"allocated {m.item.allocated}, ledger says {m.ledger_allocated}"
            )
        total = StockItem.objects.count()
        if mismatches:
            raise CommandError(
                f"{len(mismatches)} of {total} stock rows disagree with the ledger."
            )
        self.stdout.write(
            self.style.SUCCESS(f"All {total} stock rows match the ledger.")
        )

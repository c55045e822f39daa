"""Find late orders now and open their delay cases (what the beat task does every few minutes)."""

from django.core.management.base import BaseCommand

from orders.delays.services import delays_scan


class Command(BaseCommand):
    help = (
        "Find orders past their promised dates or a step's target time and open one "
        "delay case per order (repeating it opens nothing twice)."
    )

    def handle(self, *args, **options):
        result = delays_scan()
        self.stdout.write(
            f"{len(result.opened)} delay cases opened, {len(result.escalated)} "
            f"escalated, {result.slips} missed deadlines recorded"
            + (", digest queued" if result.digest else "")
        )

"""Raise and close low-stock alerts and send the day's email (what the beat task does)."""

from django.core.management.base import BaseCommand

from inventory.tasks import check_low_stock


class Command(BaseCommand):
    help = "Raise low-stock alerts for items at or under their reorder point; email purchasing once a day."

    def handle(self, *args, **options):
        result = check_low_stock()
        self.stdout.write(
            f"Alerts opened: {result['opened']}, closed: {result['closed']}, "
            f"email queued: {'yes' if result['emailed'] else 'no'}."
        )

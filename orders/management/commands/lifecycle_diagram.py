"""Write docs/order-lifecycle.md from the order state machine (or check it is current)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders.core.lifecycle import mermaid


def diagram_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "order-lifecycle.md"


class Command(BaseCommand):
    help = (
        "Render the order lifecycle as a Mermaid diagram into docs/order-lifecycle.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail if the committed diagram is out of date.",
        )

    def handle(self, *args, check=False, **options):
        path, text = diagram_path(), mermaid()
        if check:
            if not path.exists() or path.read_text() != text:
                raise CommandError(f"{path} is out of date; run `make diagram`.")
            self.stdout.write("The lifecycle diagram is up to date.")
            return
        path.write_text(text)
        self.stdout.write(f"Wrote {path}.")

"""Orders from a CSV file: every row checked first, then imported in batches.

The file: UTF-8 (a byte-order mark is fine), comma- or semicolon-separated,
a header row with the ``COLUMNS`` below, one row per order line; rows with the
same ``reference`` are one order (its customer, address and shipping from its
first row). Orders are imported by ``order_receive`` with the source
``import`` and the reference as their id: uploading the same file again (or
another file with the same references) creates nothing twice.
"""

import csv
import io
import time
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import Channel
from orders.intake.models import ImportJob
from orders.intake.services import (
    IncomingLine,
    IncomingOrder,
    IntakeRefused,
    order_receive,
)
from ordersite import limits, outbox
from ordersite.actors import Actor

COLUMNS = [
    "reference",
    "email",
    "name",
    "phone",
    "address",
    "country",
    "sku",
    "quantity",
    "unit_price",
    "shipping_total",
]
REQUIRED = ["reference", "email", "name", "address", "country", "sku", "quantity"]
SOURCE = "import"
MAX_ROWS = 20_000
BATCH = 50
TIME_BUDGET = 60  # seconds of importing per outbox message
KIND = "order_import"

TEMPLATE = (
    ",".join(COLUMNS)
    + "\r\n"
    + 'SHOP-1001,maria@example.com,Maria Lopez,+49 30 5550101,"Torstr. 12\n10119 Berlin",'
    + "DE,CF-1000,2,,4.90\r\n"
    + 'SHOP-1001,maria@example.com,Maria Lopez,,"Torstr. 12\n10119 Berlin",'
    + "DE,CF-1001,1,11.50,\r\n"
)


def _decimal(text: str):
    try:
        value = Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        raise ValueError(_("not an amount")) from None
    if value is not None and not value.is_finite():
        raise ValueError(_("not an amount"))
    return value


def read(text: str) -> tuple[list[IncomingOrder], list[dict]]:
    """The orders a file holds and every problem, by row (the header is row 1)
    and column; a row with a problem leaves its whole order out."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (rows.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [
            {"row": 1, "column": c, "message": _("This column is missing.")}
            for c in missing
        ]
    rows.fieldnames = header
    errors: list[dict] = []
    orders: dict[str, dict] = {}
    bad: set[str] = set()
    ceiling = limits.max_line_quantity()
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            errors.append(
                {
                    "row": number,
                    "column": "",
                    "message": _("Too many rows: at most %(n)s.")
                    % {"n": f"{MAX_ROWS:,}"},
                }
            )
            break
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        problems = {}
        for column in REQUIRED:
            if not row.get(column):
                problems[column] = _("Required.")
        quantity = None
        if row.get("quantity"):
            if (
                not row["quantity"].isascii()
                or not row["quantity"].isdigit()
                or not 1 <= int(row["quantity"]) <= ceiling
            ):
                problems["quantity"] = _("A whole number from 1 to %(max)s.") % {
                    "max": f"{ceiling:,}"
                }
            else:
                quantity = int(row["quantity"])
        prices = {}
        for column in ("unit_price", "shipping_total"):
            try:
                prices[column] = _decimal(row.get(column, ""))
            except ValueError as exc:
                problems[column] = str(exc)
            else:
                if (
                    prices[column] is not None
                    and not 0 <= prices[column] <= limits.max_unit_price()
                ):
                    problems[column] = _("From 0 to %(max)s.") % {
                        "max": f"{limits.max_unit_price():,.2f}"
                    }
        if row.get("country") and (
            len(row["country"]) != 2 or not row["country"].isalpha()
        ):
            problems["country"] = _("Two letters, e.g. DE.")
        for column, size in (
            ("reference", 100),
            ("email", 254),
            ("name", 200),
            ("address", 1000),
            ("sku", 64),
            ("phone", 40),
        ):
            if len(row.get(column, "")) > size:
                problems[column] = _("At most %(n)s characters.") % {"n": size}
        reference = row.get("reference", "")[:100]
        if problems:
            bad.add(reference)
            errors += [
                {"row": number, "column": c, "message": m} for c, m in problems.items()
            ]
            continue
        order = orders.setdefault(
            reference,
            {
                "email": row["email"],
                "name": row["name"],
                "phone": row.get("phone", ""),
                "address": row["address"].replace(" | ", "\n"),
                "country": row["country"].upper(),
                "shipping": prices["shipping_total"] or Decimal("0"),
                "lines": [],
            },
        )
        order["lines"].append(
            IncomingLine(
                sku=row["sku"], quantity=quantity, unit_price=prices["unit_price"]
            )
        )
    incoming = [
        IncomingOrder(
            source=SOURCE,
            external_id=reference,
            channel=Channel.EMAIL,
            email=o["email"],
            name=o["name"],
            phone=o["phone"],
            shipping_address=o["address"],
            shipping_country=o["country"],
            lines=o["lines"],
            shipping_total=o["shipping"],
        )
        for reference, o in orders.items()
        if reference not in bad
    ]
    return incoming, errors


def import_check(*, filename: str, text: str, actor) -> ImportJob:
    """Check a file; the job holds it, its problems and how many orders it makes."""
    orders, errors = read(text)
    return ImportJob.objects.create(
        uploaded_by=actor,
        filename=filename[:255],
        content=text,
        errors=errors[:1000],
        total=len(orders),
    )


import_check.alters_data = True


def import_start(*, job: ImportJob) -> ImportJob:
    """Start importing the job's valid orders (once; a second start does nothing)."""
    with transaction.atomic():
        started = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.CHECKED
        ).update(status=ImportJob.Status.RUNNING)
        if started:
            outbox.enqueue(KIND, job_id=job.pk, start=0)
    job.refresh_from_db()
    return job


import_start.alters_data = True


def import_batch(message) -> None:
    """Outbox sender: import a job's orders from ``start`` for at most
    ``TIME_BUDGET`` seconds (well inside the outbox's lease), then queue the rest.
    Each order is its own transaction and idempotent by its reference, so a batch
    sent twice (a worker that died mid-way) creates nothing twice."""
    job = ImportJob.objects.filter(pk=message.payload["job_id"]).first()
    if job is None or job.status != ImportJob.Status.RUNNING:
        return
    orders, _errors = read(job.content)
    actor = Actor.for_integration(
        _("CSV import %(file)s") % {"file": job.filename[:60]}
    )
    position = message.payload["start"]
    deadline = time.monotonic() + TIME_BUDGET
    while position < len(orders):
        for incoming in orders[position : position + BATCH]:
            _import_one(job, incoming, actor)
        position += BATCH
        if time.monotonic() >= deadline:  # at least one batch per message
            break
    if position < len(orders):
        outbox.enqueue(KIND, job_id=job.pk, start=position)
    else:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.DONE, finished_at=timezone.now(), done=len(orders)
        )


def _import_one(job: ImportJob, incoming: IncomingOrder, actor) -> None:
    try:
        received = order_receive(incoming=incoming, actor=actor)
    except IntakeRefused as exc:
        job.refresh_from_db(fields=["failures"])
        failure = {"reference": incoming.external_id, "message": str(exc)[:500]}
        ImportJob.objects.filter(pk=job.pk).update(
            done=F("done") + 1,
            failed=F("failed") + 1,
            failures=[*job.failures, failure][:1000],
        )
        return
    outcome = "created" if received.created else "skipped"
    ImportJob.objects.filter(pk=job.pk).update(
        done=F("done") + 1, **{outcome: F(outcome) + 1}
    )


def register_kind() -> None:
    outbox.register(KIND, send=import_batch)

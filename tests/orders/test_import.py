"""Importing orders from a CSV file: checked row by row, imported once, with progress."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.intake import imports
from orders.intake.models import ImportJob
from orders.models import Order
from orders.permissions import Role
from tests.factories.inventory import ProductFactory

HEADER = "reference,email,name,phone,address,country,sku,quantity,unit_price,shipping_total\n"


@pytest.fixture
def products(db, stock):
    made = [ProductFactory(sku="CSV-1"), ProductFactory(sku="CSV-2")]
    for p in made:
        stock(p, 100)
    return made


def upload(client, text: str, name="orders.csv", encoding="utf-8"):
    data = text.encode(encoding)
    return client.post(
        reverse("orders:import_upload"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        follow=True,
    )


GOOD = HEADER + (
    'A-1,ada@example.com,Ada Lovelace,,"1 High St\nLondon",DE,CSV-1,2,,4.90\n'
    "A-1,ada@example.com,Ada Lovelace,,1 High St,DE,CSV-2,1,,\n"
    "A-2,bob@example.com,Bob Smith,+49 30 1,Torstr. 1 | 10119 Berlin,de,CSV-2,3,,\n"
)


@pytest.mark.django_db
def test_a_file_is_imported_once_with_its_progress(
    client, staff, products, django_capture_on_commit_callbacks
):
    client.force_login(staff[Role.CLERK])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "\ufeff" + GOOD)  # Excel's byte-order mark
    job = ImportJob.objects.get()
    assert job.status == "done" and (job.total, job.created, job.skipped) == (2, 2, 0)
    a1 = Order.objects.get(source="import", external_id="A-1")
    assert sorted((line.sku, line.quantity) for line in a1.lines.all()) == [
        ("CSV-1", 2),
        ("CSV-2", 1),
    ]
    assert a1.shipping_total == Decimal("4.90") and "London" in a1.shipping_address
    a2 = Order.objects.get(external_id="A-2")
    assert (
        a2.shipping_address == "Torstr. 1\n10119 Berlin" and a2.shipping_country == "DE"
    )
    assert 'aria-valuenow="0"' in response.content.decode()  # shown as it starts
    page = client.get(reverse("orders:import", args=[job.pk])).content.decode()
    assert 'aria-valuenow="100"' in page and "Done" in page
    progress = client.get(reverse("orders:import_progress", args=[job.pk])).json()
    assert progress["percent"] == 100 and progress["created"] == 2
    # the same file again, semicolon-separated this time: nothing twice
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD.replace(",", ";"))
    again = ImportJob.objects.latest("pk")
    assert (again.created, again.skipped) == (0, 2) and Order.objects.count() == 2


@pytest.mark.django_db
def test_every_problem_is_named_by_row_and_column_and_the_valid_orders_can_go(
    client, staff, products, django_capture_on_commit_callbacks
):
    client.force_login(staff[Role.CLERK])
    text = HEADER + (
        "B-1,ada@example.com,Ada,,1 High St,DE,CSV-1,4006381333931,,\n"
        "B-2,,Bob,,1 Road,DE,CSV-1,1,,\n"
        "B-3,cy@example.com,Cy,,1 Lane,Germany,CSV-1,1,abc,\n"
        "B-4,di@example.com,Di,,1 Way,DE,CSV-2,2,,\n"
        "B-5,ed@example.com,Ed,,1 Path,DE,NOPE,1,,\n"
    )
    response = upload(client, text)
    job = ImportJob.objects.get()
    problems = {(e["row"], e["column"]) for e in job.errors}
    assert problems == {
        (2, "quantity"),
        (3, "email"),
        (4, "country"),
        (4, "unit_price"),
    }
    html = response.content.decode()
    assert "data-import-errors" in html and "Import the 2 valid orders" in html
    assert not Order.objects.exists()  # nothing before the person says so
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders:import_run", args=[job.pk]))
        client.post(reverse("orders:import_run", args=[job.pk]))  # a double click
    job.refresh_from_db()
    assert (job.created, job.failed) == (1, 1)
    assert (
        job.failures[0]["reference"] == "B-5" and "NOPE" in job.failures[0]["message"]
    )
    assert list(Order.objects.values_list("external_id", flat=True)) == ["B-4"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, problem",
    [
        ("\n", "reference"),
        ("sku,quantity\nCSV-1,1\n", "email"),
        (HEADER, None),
    ],
)
def test_empty_or_headless_files(client, staff, products, text, problem):
    client.force_login(staff[Role.CLERK])
    upload(client, text)
    job = ImportJob.objects.get()
    assert job.total == 0
    if problem:
        assert problem in {e["column"] for e in job.errors}


@pytest.mark.django_db
def test_not_utf8_or_not_text_is_refused_on_the_form(client, staff, products):
    client.force_login(staff[Role.CLERK])
    response = upload(client, GOOD.replace("Ada", "Åda"), encoding="latin-1")
    assert "not UTF-8" in response.content.decode() and not ImportJob.objects.exists()
    response = client.post(
        reverse("orders:import_upload"),
        {"file": SimpleUploadedFile("x.csv", b"\x00\x01PK", content_type="text/csv")},
    )
    assert not ImportJob.objects.exists()
    client.force_login(staff[Role.WAREHOUSE])
    assert client.get(reverse("orders:import_upload")).status_code == 403


def test_the_template_is_a_valid_file():
    orders, errors = imports.read(imports.TEMPLATE)
    assert errors == [] and len(orders) == 1 and len(orders[0].lines) == 2


@pytest.mark.django_db
def test_a_big_file_is_imported_in_batches(
    client, staff, products, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(imports, "TIME_BUDGET", 0)  # one batch per outbox message
    rows = "".join(
        f"C-{i},c{i}@example.com,C {i},,1 Road,DE,CSV-1,1,,\n" for i in range(120)
    )
    client.force_login(staff[Role.CLERK])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, HEADER + rows)
    job = ImportJob.objects.get()
    assert (job.status, job.created) == ("done", 120)
    from ordersite.models import OutboxMessage

    assert OutboxMessage.objects.filter(kind="order_import").count() == 3  # 50+50+20

"""Starting tax rates (edit them in the admin) and the new order permissions for the groups."""

from decimal import Decimal

from django.db import migrations

from orders.permissions import sync_staff_groups

# (country, standard, reduced); zero-rated goods are 0 everywhere.
RATES = [
    ("DE", "0.19", "0.07"),
    ("AT", "0.20", "0.10"),
    ("FR", "0.20", "0.055"),
    ("NL", "0.21", "0.09"),
    ("CH", "0.081", "0.026"),
]


def create_rates(apps, schema_editor):
    TaxRate = apps.get_model("orders", "TaxRate")
    for country, standard, reduced in RATES:
        for tax_class, rate in (("standard", standard), ("reduced", reduced), ("zero", "0")):
            TaxRate.objects.get_or_create(
                tax_class_id=tax_class, country=country, defaults={"rate": Decimal(rate)}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_pricing_payments_invoices"),
        ("inventory", "0003_tax_classes"),
    ]

    operations = [
        migrations.RunPython(create_rates, migrations.RunPython.noop),
        migrations.RunPython(sync_staff_groups, migrations.RunPython.noop),
    ]

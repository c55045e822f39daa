"""Starting tax rates (edit them in the admin) and the new order permissions for the groups."""

from django.db import migrations

from orders.permissions import sync_staff_groups
from orders.reference_data import create_tax_rates

class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_pricing_payments_invoices"),
        ("inventory", "0003_tax_classes"),
    ]

    operations = [
        migrations.RunPython(create_tax_rates, migrations.RunPython.noop),
        migrations.RunPython(sync_staff_groups, migrations.RunPython.noop),
    ]

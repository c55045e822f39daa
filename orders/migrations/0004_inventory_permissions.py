"""Give the warehouse group receipts and stock counts (managers get every permission)."""

from django.db import migrations

from orders.permissions import sync_staff_groups

class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_order_split"),
        ("inventory", "0002_receipts_alerts_counts"),
    ]

    operations = [migrations.RunPython(sync_staff_groups, migrations.RunPython.noop)]

"""The staff groups get the returns permissions (who decides, receives, inspects)."""

from django.db import migrations

from orders.permissions import sync_staff_groups


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]

    operations = [migrations.RunPython(sync_staff_groups, migrations.RunPython.noop)]

"""Create the staff groups (clerk, verifier, warehouse, returns, manager) with their permissions."""

from django.db import migrations


def forwards(apps, schema_editor):
    from orders.permissions import sync_staff_groups

    sync_staff_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0001_initial"),
        ("inventory", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

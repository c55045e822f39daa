"""Create the staff groups (clerk, verifier, warehouse, returns, manager) with their permissions."""

from django.db import migrations

from orders.permissions import sync_staff_groups

class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0001_initial"),
        ("inventory", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_staff_groups, migrations.RunPython.noop)]

"""The return policy exists from the start (with its defaults), so no page has to
create it while reading it."""

from django.db import migrations


def default_policy(apps, schema_editor):
    Policy = apps.get_model("returns", "ReturnPolicy")
    if not Policy.objects.exists():
        Policy.objects.create()


class Migration(migrations.Migration):
    dependencies = [("returns", "0009_analytics_indexes")]

    operations = [migrations.RunPython(default_policy, migrations.RunPython.noop)]

"""Mark the customer's messages that staff already answered (a later message from staff)."""

from django.db import migrations


def mark_answered(apps, schema_editor):
    CustomerMessage = apps.get_model("orders", "CustomerMessage")
    replies = CustomerMessage.objects.filter(from_customer=False).order_by("created_at")
    for reply in replies.iterator(chunk_size=1000):
        CustomerMessage.objects.filter(
            order_id=reply.order_id,
            from_customer=True,
            answered_at__isnull=True,
            created_at__lt=reply.created_at,
        ).update(answered_at=reply.created_at)


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_answered_messages")]

    operations = [migrations.RunPython(mark_answered, migrations.RunPython.noop)]

"""Typed facts and the outbox, step 3: the old fields go; constraints and the new permission."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from orders.permissions import sync_staff_groups


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0015_typed_facts_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='notification',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='lease_until',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='sent_at',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='status',
        ),
        migrations.RemoveField(
            model_name='orderevent',
            name='message',
        ),
        migrations.RemoveField(
            model_name='refund',
            name='attempts',
        ),
        migrations.AddIndex(
            model_name='orderevent',
            index=models.Index(fields=['type', 'created_at'], name='event_type_time'),
        ),
        migrations.AddConstraint(
            model_name='orderevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('actor__isnull', False), ('actor_kind', 'staff')), models.Q(models.Q(('actor_kind', 'staff'), _negated=True), ('actor__isnull', True)), _connector='OR'), name='orderevent_staff_actor_is_a_user'),
        ),
        migrations.AddConstraint(
            model_name='orderevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('actor_kind', 'integration'), ('integration__gt', '')), models.Q(models.Q(('actor_kind', 'integration'), _negated=True), ('integration', '')), _connector='OR'), name='orderevent_integration_is_named'),
        ),
        migrations.RunPython(sync_staff_groups, migrations.RunPython.noop),
    ]

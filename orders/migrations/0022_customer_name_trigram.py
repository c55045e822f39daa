"""A trigram index for finding customers by a fragment of their name (PostgreSQL).

The staff search matches ``UPPER(name) LIKE UPPER('%fragment%')``; without this
index that reads every customer. SQLite (the embedded default) gets nothing. If
the database user may not create the pg_trgm extension, the index is skipped
with a warning and the search still works, only slower.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                "CREATE INDEX IF NOT EXISTS customer_name_trgm ON orders_customer "
                "USING gin ((UPPER(name::text)) gin_trgm_ops)"
            )
    except Exception:  # noqa: BLE001 - an optional speed-up, never a failed deploy
        logger.warning(
            "Could not create the pg_trgm extension or the customer name index; "
            "name searches will read every customer.",
            exc_info=True,
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("orders", "0021_list_indexes_and_amount_held")]

    operations = [migrations.RunPython(create, drop)]

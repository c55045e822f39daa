"""Indexes for the order-entry picker's searches (PostgreSQL).

The picker matches the start of an email (``UPPER(email) LIKE 'X%'``), digits of a
phone anywhere in ``phone_digits``, and a postcode anywhere in the address. With
the name's trigram index (0022) every branch of its OR has an index, so a search
reads the matches rather than every customer. SQLite (the embedded default) gets
nothing; without pg_trgm the trigram indexes are skipped with a warning, as 0022.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = [
    # A btree on the upper-cased email, for prefixes: text_pattern_ops makes LIKE
    # 'X%' usable whatever the database's collation.
    "CREATE INDEX IF NOT EXISTS customer_email_prefix ON orders_customer "
    "((UPPER(email::text)) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS customer_phone_digits_trgm ON orders_customer "
    "USING gin ((phone_digits::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_address_trgm ON orders_customer "
    "USING gin ((UPPER(shipping_address::text)) gin_trgm_ops)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in INDEXES:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                if "gin_trgm_ops" in sql:
                    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                schema_editor.execute(sql)
        except Exception:  # noqa: BLE001 - an optional speed-up, never a failed deploy
            logger.warning(
                "Could not create an index for the customer picker; its searches "
                "will read every customer: %s",
                sql,
                exc_info=True,
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in (
            "customer_email_prefix",
            "customer_phone_digits_trgm",
            "customer_address_trgm",
        ):
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0027_customer_phone_digits")]

    operations = [migrations.RunPython(create, drop)]

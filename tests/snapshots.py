"""Copies of the whole database that tests can return to in about a second.

Seeding the demo runs 300 orders through the real services: about 70 s on
PostgreSQL. Tests that need the demo data used to pay that each; now the demo is
seeded once per test session, copied table by table (``take``), and every test
that wants it gets the copy back (``restore``) instead of a new seed.

A snapshot lives beside the tables it copies, where Django's flush between
tests does not reach it: a schema of its own on PostgreSQL, prefixed tables
elsewhere (SQLite).
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction


def _models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _columns(model) -> str:
    """The columns a copy can be written back to (generated columns recompute)."""
    quote = connection.ops.quote_name
    return ", ".join(
        quote(field.column)
        for field in model._meta.local_concrete_fields
        if not getattr(field, "generated", False)
    )


def _copy(name: str, table: str) -> str:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return f"{quote('snapshot_' + name)}.{quote(table)}"
    return quote(f"snapshot_{name}__{table}")


def take(name: str) -> None:
    """Copy every model's table as it is now (replacing an earlier copy of that name)."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            schema = quote("snapshot_" + name)
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cursor.execute(f"CREATE SCHEMA {schema}")
        for model in _models():
            table = model._meta.db_table
            copy = _copy(name, table)
            if connection.vendor != "postgresql":
                cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(
                f"CREATE TABLE {copy} AS SELECT {_columns(model)} FROM {quote(table)}"
            )


def restore(name: str) -> None:
    """Make every model's table hold exactly what ``take(name)`` copied."""
    quote = connection.ops.quote_name
    models = _models()
    tables = [model._meta.db_table for model in models]
    with transaction.atomic():
        connection.ops.execute_sql_flush(
            connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
        )
        with connection.cursor() as cursor:
            for model in models:
                columns = _columns(model)
                cursor.execute(
                    f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
                    f"SELECT {columns} FROM {_copy(name, model._meta.db_table)}"
                )
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
    # ids in the copy may differ from those this process has cached
    ContentType.objects.clear_cache()
    from ordersite.webhooks.sending import endpoints_changed

    endpoints_changed()

"""Trigram indexes for the free-text search (``?q=``) on PostgreSQL.

The search is ``title ILIKE %q% OR description ILIKE %q%`` (Django's icontains compiles to
``UPPER(col::text) LIKE UPPER(%s)``); GIN trigram indexes on ``UPPER(col)`` answer it
without reading the table. pg_trgm is a trusted extension (PostgreSQL 13+), so the database
owner may create it. SQLite keeps the scan: its deployments are small.
"""

from django.db import migrations

INDEXES = {
    "inc_title_trgm": "title",
    "inc_description_trgm": "description",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON incidents_incident USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_incident_acknowledge_breached_at_and_more")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

"""A user's events are referenced by the username, which may be 150 characters long.

Altering the column rebuilds the table on SQLite, which drops its triggers, so they are
installed again (PostgreSQL widens a varchar in place and keeps them).
"""

import importlib

from django.db import migrations, models

TRAIL = importlib.import_module("audit.migrations.0002_append_only_triggers")


def reinstall_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in TRAIL.SQLITE_DOWN + TRAIL.SQLITE_UP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_truncate_only_in_test_databases")]
    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="ref_id",
            field=models.CharField(db_index=True, max_length=150),
        ),
        migrations.RunPython(reinstall_sqlite_triggers, migrations.RunPython.noop),
    ]

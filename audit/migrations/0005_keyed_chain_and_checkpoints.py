"""The keyed chain and its checkpoints.

Rows already in the trail were hashed with the unkeyed scheme and the table refuses UPDATE,
so they keep it: the new ``scheme`` column is 1 (legacy) for them and 2 (HMAC of every
column) for new rows; ``audit_verify`` checks each row by its scheme. Adding a NOT NULL
column rebuilds the table on SQLite, which drops its triggers, so they are installed again.
The checkpoint table is append-only like the trail.
"""

import importlib

from django.db import migrations, models

TRAIL = importlib.import_module("audit.migrations.0002_append_only_triggers")

PG_UP = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_auditcheckpoint_append_only ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS audit_refuse_change();
"""
SQLITE_CHECKPOINT_UP = [
    """CREATE TRIGGER audit_auditcheckpoint_no_update BEFORE UPDATE ON audit_auditcheckpoint
       BEGIN
           SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE on audit_auditcheckpoint refused');
       END""",
    """CREATE TRIGGER audit_auditcheckpoint_no_delete BEFORE DELETE ON audit_auditcheckpoint
       BEGIN
           SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on audit_auditcheckpoint refused');
       END""",
]
SQLITE_CHECKPOINT_DOWN = [
    "DROP TRIGGER IF EXISTS audit_auditcheckpoint_no_update",
    "DROP TRIGGER IF EXISTS audit_auditcheckpoint_no_delete",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        for statement in TRAIL.SQLITE_DOWN + TRAIL.SQLITE_UP + SQLITE_CHECKPOINT_UP:
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"No append-only trigger for {vendor}: IMS supports PostgreSQL and SQLite.")


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [PG_DOWN] if vendor == "postgresql" else SQLITE_CHECKPOINT_DOWN
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_refuse_truncate")]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(help_text="Number of events in the trail when signed.")),
                ("head_hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("signature", models.CharField(max_length=64, unique=True)),
            ],
            options={"ordering": ["-created_at"], "get_latest_by": "created_at"},
        ),
        migrations.AddField(
            model_name="auditevent",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "SHA-256 of some columns, unkeyed (legacy)"),
                    (2, "HMAC-SHA256 of every stored column"),
                ],
                default=1,
                editable=False,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "SHA-256 of some columns, unkeyed (legacy)"),
                    (2, "HMAC-SHA256 of every stored column"),
                ],
                default=2,
                editable=False,
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]

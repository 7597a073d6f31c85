"""``ims.allow_audit_truncate = on`` lets a session TRUNCATE the trail only in a test
database (pytest-django names it ``test_<name>``): the suite flushes its throwaway database
between tests, while on any other database the setting is no escape hatch for its owner.
The checkpoint table refuses TRUNCATE the same way."""

from django.db import migrations

PG_UP = r"""
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('ims.allow_audit_truncate', true) = 'on'
       AND current_database() LIKE 'test\_%' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE on % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditcheckpoint_no_truncate
    BEFORE TRUNCATE ON audit_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_truncate();
"""
# Back to 0004's function, which allowed the setting on any database.
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_auditcheckpoint_no_truncate ON audit_auditcheckpoint;
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('ims.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE on audit_auditevent refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_keyed_chain_and_checkpoints")]
    operations = [migrations.RunPython(install, uninstall)]

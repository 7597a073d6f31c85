"""PostgreSQL also refuses TRUNCATE on the trail (``manage.py flush`` included), which
row triggers do not see. A session that sets ``ims.allow_audit_truncate = on`` may
truncate: the test suite sets it to flush its own throwaway database between tests. (An
owner of the table can always drop a trigger: the hash chain and a role with only INSERT
and SELECT, see the README, are what protect the trail from its owner.) SQLite has no
TRUNCATE; its DELETE trigger already covers an unqualified DELETE.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('ims.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE on audit_auditevent refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_truncate();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_refuse_truncate();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_drop_swapped_auditlog_table")]
    operations = [migrations.RunPython(install, uninstall)]

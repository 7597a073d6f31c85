"""auditlog's migrations create its own LogEntry table even though AUDITLOG_LOGENTRY_MODEL
swaps it for audit.AuditEvent. Nothing writes to it; dropping it keeps a second,
unprotected "audit" table out of the database (and lets test databases be flushed)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers"), ("auditlog", "0017_add_actor_email")]
    operations = [migrations.RunSQL("DROP TABLE IF EXISTS auditlog_logentry", migrations.RunSQL.noop)]

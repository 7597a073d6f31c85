"""Issue 15, data safety: the TRUNCATE escape hatch exists only in test databases, an
application role holds only INSERT and SELECT on the trail, a pg_dump backup restores to a
trail that verifies, and the retention period is reported, never enforced by deleting."""

import importlib
import io
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Team
from audit.management.commands.audit_app_role import app_role_sql
from audit.models import AuditEvent
from audit.services import append_events, build_event
from tests.audit.test_trail import record

REFUSE_TRUNCATE = importlib.import_module("audit.migrations.0004_refuse_truncate")
TEST_DATABASES_ONLY = importlib.import_module("audit.migrations.0006_truncate_only_in_test_databases")


def _conninfo(dbname: str, user: str | None = None) -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": user or db["USER"],
        "password": db.get("PASSWORD") or None,
        "dbname": dbname,
    }


@pytest.fixture
def scratch_database():
    """make(name) → a new, empty database; all of them are dropped afterwards."""
    made = []

    def make(name: str) -> str:
        with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return name

    yield make
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_with_the_setting_on(dbname: str) -> None:
    with psycopg.connect(**_conninfo(dbname), autocommit=True) as conn:
        conn.execute("CREATE TABLE audit_auditevent (id int); CREATE TABLE audit_auditcheckpoint (id int)")
        conn.execute(REFUSE_TRUNCATE.PG_UP)
        conn.execute(TEST_DATABASES_ONLY.PG_UP)
        conn.execute("INSERT INTO audit_auditevent VALUES (1)")
        conn.execute("SET ims.allow_audit_truncate = on")
        conn.execute("TRUNCATE audit_auditevent")


# --- the TRUNCATE escape hatch -----------------------------------------------------------


@pytest.mark.postgres
def test_the_truncate_setting_is_no_escape_hatch_outside_a_test_database(scratch_database):
    name = scratch_database(f"ims_audit_hatch_{os.getpid()}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as excinfo:
        _truncate_with_the_setting_on(name)
    assert str(excinfo.value).splitlines()[0] == (
        "the audit trail is append-only: TRUNCATE on audit_auditevent refused"
    )


@pytest.mark.postgres
def test_the_truncate_setting_still_flushes_a_test_database(scratch_database):
    name = scratch_database(f"test_ims_audit_hatch_{os.getpid()}")
    _truncate_with_the_setting_on(name)  # no error: pytest-django's flush keeps working
    with psycopg.connect(**_conninfo(name)) as conn:
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (0,)


# --- the application role ------------------------------------------------------------------


def test_the_app_role_sql_grants_only_insert_and_select_on_the_trail():
    sql = app_role_sql("ims_app")
    assert 'REVOKE ALL ON audit_auditevent, audit_auditcheckpoint FROM "ims_app";' in sql
    assert 'GRANT SELECT, INSERT ON audit_auditevent, audit_auditcheckpoint TO "ims_app";' in sql
    out = io.StringIO()
    call_command("audit_app_role", "ims_app", stdout=out)
    assert out.getvalue() == sql
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_app_role", 'x"; DROP TABLE y; --')
    assert str(excinfo.value) == (
        "'x\"; DROP TABLE y; --' is not a role name IMS prints SQL for: lower-case letters, digits, _."
    )


@pytest.fixture
def app_role():
    role = f"ims_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
        cursor.execute(app_role_sql(role))
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


COPY_OF_EVENT_1 = """
INSERT INTO audit_auditevent (object_pk, object_repr, action, changes_text, timestamp, seq,
    domain_action, ref_type, ref_id, actor_label, scheme, prev_hash, hash, content_type_id)
SELECT object_pk, object_repr, action, changes_text, timestamp, seq + 1000, domain_action,
    ref_type, ref_id, actor_label, scheme, hash, md5(hash) || md5(hash), content_type_id
FROM audit_auditevent WHERE seq = 1
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_app_role_may_insert_and_select_but_not_change_the_trail(app_role):
    record(2)
    call_command("audit_checkpoint", stdout=io.StringIO())
    with psycopg.connect(
        **_conninfo(connection.settings_dict["NAME"], user=app_role), autocommit=True
    ) as conn:
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM audit_auditcheckpoint").fetchone() == (1,)
        with conn.transaction(force_rollback=True):
            conn.execute(COPY_OF_EVENT_1)
            conn.execute(
                "INSERT INTO audit_auditcheckpoint (seq, head_hash, created_at, signature) "
                "SELECT seq, head_hash, created_at, md5(signature) FROM audit_auditcheckpoint"
            )
            conn.execute("UPDATE accounts_team SET name = name WHERE code = 'L2'")  # the rest stays writable
        for table in ("audit_auditevent", "audit_auditcheckpoint"):
            for statement in (f"UPDATE {table} SET seq = seq", f"DELETE FROM {table}", f"TRUNCATE {table}"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege) as excinfo:
                    conn.execute(statement)
                assert str(excinfo.value) == f"permission denied for table {table}", statement
    assert AuditEvent.objects.count() == 2


# --- backup and restore --------------------------------------------------------------------


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/lib/postgresql/15/bin")
    assert found, f"{name} is neither on PATH nor in /usr/lib/postgresql/15/bin"
    return found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pg_dump_backup_restores_to_a_trail_that_verifies(scratch_database, checkpoint_file, tmp_path):
    record(3)
    call_command("audit_checkpoint", stdout=io.StringIO())
    db = _conninfo(connection.settings_dict["NAME"])
    dump = tmp_path / "ims.dump"
    where = ["--host", db["host"], "--port", str(db["port"]), "--username", db["user"]]
    subprocess.run(
        [_postgres_tool("pg_dump"), *where, "--format", "custom", "--file", str(dump), db["dbname"]],
        check=True,
        timeout=120,
    )
    restored = scratch_database(f"ims_audit_restore_{os.getpid()}")
    subprocess.run(
        [
            _postgres_tool("pg_restore"),
            *where,
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            restored,
            str(dump),
        ],
        check=True,
        timeout=120,
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['user']}@{db['host']}:{db['port']}/{restored}",
        "DATABASE_POOL": "false",
        "IMS_AUDIT_KEY": settings.IMS_AUDIT_KEY,
        "IMS_AUDIT_CHECKPOINT_FILE": str(checkpoint_file),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "Audit trail intact: 3 event(s) and 1 checkpoint(s) verified.",
    ), result.stderr
    with psycopg.connect(**_conninfo(restored), autocommit=True) as conn:  # the triggers came back too
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as excinfo:
            conn.execute("UPDATE audit_auditevent SET ref_id = 'x'")
        assert str(excinfo.value).splitlines()[0] == (
            "the audit trail is append-only: UPDATE on audit_auditevent refused"
        )


# --- retention -----------------------------------------------------------------------------


def retention(*args) -> str:
    out = io.StringIO()
    call_command("audit_retention", *args, stdout=out)
    return out.getvalue().strip()


def test_retention_defaults_to_seven_years():
    assert settings.IMS_AUDIT_RETENTION_DAYS == 2555


def test_retention_lists_the_events_past_it_and_deletes_nothing(db, settings):
    settings.IMS_AUDIT_RETENTION_DAYS = 365
    now = timezone.now().replace(microsecond=0)
    team = Team.objects.get(code="L2")
    ages = [800, 500, 400, 10]
    append_events([build_event(action="update", obj=team, at=now - timedelta(days=age)) for age in ages])
    cutoff = now - timedelta(days=365)
    assert retention("--now", now.isoformat()) == (
        f"Retention 365 day(s) (IMS_AUDIT_RETENTION_DAYS): 3 event(s) older than {cutoff.isoformat()}: "
        f"#1 ({(now - timedelta(days=800)).isoformat()}) to #3 ({(now - timedelta(days=400)).isoformat()}). "
        "Nothing is deleted: the trail is append-only; archive them as your organization's policy says "
        "(README: backup and restore)."
    )
    assert AuditEvent.objects.count() == 4


def test_retention_with_nothing_past_it(db):
    record(2)
    now = timezone.now()
    cutoff = now - timedelta(days=2555)
    assert retention("--now", now.isoformat()) == (
        f"Retention 2555 day(s) (IMS_AUDIT_RETENTION_DAYS): no event is older than {cutoff.isoformat()}."
    )


def test_retention_refuses_a_bad_date(db):
    with pytest.raises(CommandError) as excinfo:
        retention("--now", "yesterday")
    assert str(excinfo.value) == "--now 'yesterday' is not an ISO date-time."
    with pytest.raises(CommandError) as excinfo:
        retention("--now", "2026-01-01T00:00")
    assert str(excinfo.value) == "--now '2026-01-01T00:00' needs a time zone, e.g. 2026-01-01T00:00+00:00."

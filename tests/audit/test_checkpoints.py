"""``manage.py audit_checkpoint``, its beat task and its append-only table."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction

from audit.models import AuditCheckpoint, AuditEvent
from audit.tasks import audit_checkpoint
from ims.celery import app
from tests.audit.test_trail import raw, record, triggers_off


def checkpoint() -> str:
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue().strip()


def test_a_checkpoint_signs_the_head_into_the_table_and_the_file(db, checkpoint_file):
    events = record(3)
    head = events[-1].hash
    assert checkpoint() == (
        f"Checkpoint written: event #3, head {head[:16]}…, to the database and {checkpoint_file}."
    )
    cp = AuditCheckpoint.objects.get()
    assert (cp.seq, cp.head_hash, cp.signature) == (3, head, cp.compute_signature())
    assert json.loads(checkpoint_file.read_text()) == {
        "seq": 3,
        "head_hash": head,
        "created_at": cp.created_at.isoformat(),
        "signature": cp.signature,
    }


def test_nothing_new_writes_nothing(db, checkpoint_file):
    assert checkpoint() == "No checkpoint written: the audit trail is empty."
    record(2)
    checkpoint()
    assert checkpoint() == "No checkpoint written: no event since the checkpoint at #2."
    assert AuditCheckpoint.objects.count() == 1
    assert len(checkpoint_file.read_text().splitlines()) == 1


def test_a_truncated_trail_is_never_anchored_afresh(db):
    record(4)
    checkpoint()
    cp = AuditCheckpoint.objects.get()
    with triggers_off():
        raw("DELETE FROM audit_auditevent WHERE seq > 2")
    record()  # the trail grows again from #2: a new head at #3
    with pytest.raises(CommandError) as excinfo:
        checkpoint()
    assert str(excinfo.value) == (
        f"No checkpoint written. Audit trail truncated: it ends at event #3, but the checkpoint signed "
        f"{cp.created_at.isoformat()} (database) records 4 event(s); events #4 to #4 are gone."
    )
    assert AuditCheckpoint.objects.count() == 1


def test_an_event_changed_since_the_last_checkpoint_is_refused(db):
    record(2)
    checkpoint()
    events = record(2)
    with triggers_off():
        raw("UPDATE audit_auditevent SET actor_email='mallory@example.com' WHERE seq = 4")
    with pytest.raises(CommandError) as excinfo:
        checkpoint()
    assert str(excinfo.value) == (
        f"No checkpoint written. Audit chain broken at event #4 (id {events[1].pk}): its content does not "
        "match its hash (modified). 2 event(s) before it verified."
    )


def test_a_checkpoint_deleted_from_the_table_still_anchors_through_the_file(db):
    record(3)
    checkpoint()
    with triggers_off():
        raw("DELETE FROM audit_auditevent WHERE seq = 3")
    record()  # a different event #3
    with pytest.raises(CommandError, match="does not match the checkpoint signed"):
        checkpoint()


def test_the_checkpoint_table_refuses_update_and_delete(db):
    record()
    checkpoint()
    with pytest.raises(DatabaseError, match="append-only: UPDATE on audit_auditcheckpoint refused"):
        with transaction.atomic():
            raw("UPDATE audit_auditcheckpoint SET seq = 99")
    with pytest.raises(DatabaseError, match="append-only: DELETE on audit_auditcheckpoint refused"):
        with transaction.atomic():
            raw("DELETE FROM audit_auditcheckpoint")
    assert AuditCheckpoint.objects.get().seq == 1


@pytest.mark.postgres
def test_the_checkpoint_table_refuses_truncate(db):
    record()
    checkpoint()
    raw("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE on audit_auditcheckpoint refused"):
        with transaction.atomic():
            raw("SET LOCAL ims.allow_audit_truncate = 'off'")
            raw("TRUNCATE audit_auditcheckpoint")
    assert AuditCheckpoint.objects.count() == 1


def test_beat_checkpoints_every_five_minutes_through_the_task(db, checkpoint_file):
    entry = app.conf.beat_schedule["audit-checkpoint"]
    assert (entry["task"], entry["schedule"]) == ("audit.tasks.audit_checkpoint", 300.0)
    assert audit_checkpoint.name == "audit.tasks.audit_checkpoint"
    record(2)
    assert audit_checkpoint().startswith("Checkpoint written: event #2, head ")
    assert AuditCheckpoint.objects.get().head_hash == AuditEvent.objects.get(seq=2).hash


def _settings_in_a_subprocess(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IMS_AUDIT", "CACHE_URL"))}
    base["IMS_ALLOW_LOCAL_CACHE"] = "true"  # the cache rule of production is not under test here
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.IMS_AUDIT_KEY)",
        ],
        env={**base, "DJANGO_SETTINGS_MODULE": "ims.settings", **env},
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_key_is_required_when_debug_is_off():
    result = _settings_in_a_subprocess(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: IMS_AUDIT_KEY must be set when DJANGO_DEBUG is off."
    )
    keyed = _settings_in_a_subprocess(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="s" * 50, IMS_AUDIT_KEY="k" * 48
    )
    assert (keyed.returncode, keyed.stdout.strip()) == (0, "k" * 48)

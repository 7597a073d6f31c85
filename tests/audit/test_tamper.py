"""Issue 15: the trail can no longer be rewritten without ``audit_verify`` noticing, even by
someone who owns the database (and so can switch triggers off) but not the key."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, HashScheme
from tests.audit.test_trail import raw, record, triggers_off, verify


def checkpoint() -> str:
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue().strip()


def refused() -> str:
    with pytest.raises(CommandError) as excinfo:
        verify()
    return str(excinfo.value)


def rewrite(from_seq: int, *, column: str, value, scheme: int, key: str = "a-guessed-key") -> None:
    """An owner of the database without the key: change ``column`` of event ``from_seq`` and
    recompute that event's hash and every later one (so each link still holds)."""
    prev = AuditEvent.objects.get(seq=from_seq - 1).hash if from_seq > 1 else GENESIS_HASH
    with triggers_off(), override_settings(IMS_AUDIT_KEY=key):
        for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
            if event.seq == from_seq:
                setattr(event, column, value)
            event.scheme, event.prev_hash = scheme, prev
            event.hash = prev = event.compute_hash()
            AuditEvent.objects.filter(pk=event.pk).update(
                **{column: getattr(event, column)}, scheme=scheme, prev_hash=event.prev_hash, hash=event.hash
            )


def describe(cp: AuditCheckpoint, source: str = "database") -> str:
    return f"the checkpoint signed {cp.created_at.isoformat()} ({source})"


EDITS = {
    "actor_email": "mallory@example.com",
    "remote_addr": "203.0.113.9",
    "changes_text": "nothing happened",
    "serialized_data": {"fields": {"name": "forged"}},
}


# --- what the hash covers --------------------------------------------------------------------


def test_every_stored_column_but_id_and_hash_is_hashed(db):
    (event,) = record()
    columns = {field.attname for field in AuditEvent._meta.concrete_fields} - {"id", "hash"}
    assert set(json.loads(event.chain_payload())) == columns
    assert {"actor_email", "remote_addr", "remote_port", "cid", "changes_text", "serialized_data"} <= columns
    assert {"additional_data", "scheme", "prev_hash", "seq", "timestamp"} <= columns


def _other(value):
    if isinstance(value, bool) or value is None:
        return "x" if value is None else not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, dict | list):
        return {"other": 1}
    return value.replace(year=value.year - 1)  # a datetime


@pytest.mark.parametrize("column", AuditEvent.hashed_fields())
def test_a_change_to_any_column_changes_the_hash(db, column):
    (event,) = record()
    event.refresh_from_db()
    assert event.compute_hash() == event.hash
    setattr(event, column, _other(getattr(event, column)))
    assert event.compute_hash() != event.hash


def test_the_hash_is_keyed(db):
    (event,) = record()
    event.refresh_from_db()
    with override_settings(IMS_AUDIT_KEY="another-key"):
        assert event.compute_hash() != event.hash


# --- a changed column, with every later hash recomputed --------------------------------------


@pytest.mark.parametrize("column", sorted(EDITS))
def test_an_edit_rehashed_without_the_key_is_named(db, column):
    events = record(4)
    checkpoint()
    rewrite(2, column=column, value=EDITS[column], scheme=HashScheme.HMAC_SHA256)
    assert refused() == (
        f"Audit chain broken at event #2 (id {events[1].pk}): its content does not match its hash "
        "(modified). 1 event(s) before it verified."
    )


@pytest.mark.parametrize("column", sorted(EDITS))
def test_an_edit_rehashed_with_the_old_unkeyed_scheme_is_named(db, column):
    events = record(4)
    rewrite(2, column=column, value=EDITS[column], scheme=HashScheme.LEGACY_SHA256)
    assert refused() == (
        f"Audit chain broken at event #2 (id {events[1].pk}): it uses the legacy unkeyed hash after keyed "
        "events (rewritten). 1 event(s) before it verified."
    )


@pytest.mark.parametrize("column", sorted(EDITS))
def test_a_whole_chain_rewritten_unkeyed_no_longer_matches_its_checkpoint(db, column):
    events = record(4)
    checkpoint()
    rewrite(1, column=column, value=EDITS[column], scheme=HashScheme.LEGACY_SHA256)
    assert verify_chain_only() == (4, None)  # every unkeyed link holds: only the anchor tells
    cp = AuditCheckpoint.objects.get()
    assert refused() == (
        f"Audit chain broken at event #4 (id {events[3].pk}): its hash does not match {describe(cp)}, "
        "so events up to it were rewritten. 3 event(s) before it verified."
    )


def verify_chain_only():
    from audit.verify import verify_chain

    return verify_chain()


# --- a truncated tail, an emptied table ----------------------------------------------------


def test_deleted_newest_events_are_a_truncated_tail(db):
    record(5)
    checkpoint()
    with triggers_off():
        raw("DELETE FROM audit_auditevent WHERE seq > 3")
    cp = AuditCheckpoint.objects.get()
    assert refused() == (
        f"Audit trail truncated: it ends at event #3, but {describe(cp)} records 5 event(s); "
        "events #4 to #5 are gone."
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_newest_events_deleted_in_a_replica_session_are_a_truncated_tail():
    record(5)
    checkpoint()
    raw("SET session_replication_role = replica")
    try:
        raw("DELETE FROM audit_auditevent WHERE seq > 2")
    finally:
        raw("SET session_replication_role = DEFAULT")
    assert AuditEvent.objects.count() == 2
    cp = AuditCheckpoint.objects.get()
    assert refused() == (
        f"Audit trail truncated: it ends at event #2, but {describe(cp)} records 5 event(s); "
        "events #3 to #5 are gone."
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_truncated_trail_is_emptied_against_the_checkpoint_table():
    record(3)
    checkpoint()
    raw("SET ims.allow_audit_truncate = on")  # the test database's escape hatch
    raw("TRUNCATE audit_auditevent")
    cp = AuditCheckpoint.objects.get()
    assert refused() == f"Audit trail emptied: it has no events, but {describe(cp)} records 3 event(s)."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_truncating_the_checkpoints_too_leaves_the_file_as_anchor(checkpoint_file):
    record(3)
    checkpoint()
    cp = AuditCheckpoint.objects.get()
    raw("SET ims.allow_audit_truncate = on")
    raw("TRUNCATE audit_auditevent, audit_auditcheckpoint")
    assert refused() == (
        f"Audit trail emptied: it has no events, but {describe(cp, f'{checkpoint_file} line 1')} "
        "records 3 event(s)."
    )


# --- the checkpoints themselves --------------------------------------------------------------


def test_a_forged_checkpoint_is_refused(db):
    """A checkpoint over a rewritten head, signed by someone without the key."""
    record(3)
    cp = AuditCheckpoint(seq=3, head_hash=AuditEvent.objects.get(seq=3).hash, created_at=timezone.now())
    with override_settings(IMS_AUDIT_KEY="not-the-key"):
        cp.signature = cp.compute_signature()
    cp.save()
    assert refused() == (
        f"Audit checkpoint forged: {describe(cp)} at #3 has an invalid signature (not made with this key)."
    )


def test_a_forged_line_in_the_checkpoint_file_is_refused(db, checkpoint_file):
    record(2)
    checkpoint()
    line = json.loads(checkpoint_file.read_text())
    line["seq"] = 1  # pretend the trail had one event
    with checkpoint_file.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    assert refused() == (
        f"Audit checkpoint forged: the checkpoint signed {line['created_at']} ({checkpoint_file} line 2) "
        "at #1 has an invalid signature (not made with this key)."
    )


def test_checkpoints_deleted_from_the_table_are_reported(db, checkpoint_file):
    record(2)
    checkpoint()
    cp = AuditCheckpoint.objects.get()
    with triggers_off():
        if connection.vendor == "postgresql":
            raw("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER audit_auditcheckpoint_append_only")
            raw("DELETE FROM audit_auditcheckpoint")
            raw("ALTER TABLE audit_auditcheckpoint ENABLE TRIGGER audit_auditcheckpoint_append_only")
        else:
            raw("DROP TRIGGER audit_auditcheckpoint_no_delete")
            raw("DELETE FROM audit_auditcheckpoint")
    assert refused() == (
        "Audit checkpoints deleted: the checkpoint table lacks 1 checkpoint(s) recorded in "
        f"{checkpoint_file}, the newest at #2 ({cp.created_at.isoformat()})."
    )


def test_a_verified_trail_says_what_it_checked(db, checkpoint_file):
    record(3)
    assert checkpoint().startswith("Checkpoint written: event #3, head ")
    record(2)
    checkpoint()
    assert verify() == "Audit trail intact: 5 event(s) and 2 checkpoint(s) verified."
    assert AuditCheckpoint.objects.count() == 2
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [3, 5]
    assert lines[1]["head_hash"] == AuditEvent.objects.get(seq=5).hash


def test_without_the_checkpoint_file_verify_says_so(db, checkpoint_file):
    record(2)
    checkpoint()
    checkpoint_file.unlink()
    assert verify() == (
        "Audit trail intact: 2 event(s) and 1 checkpoint(s) verified. "
        f"The checkpoint file {checkpoint_file} was not found: "
        "checked against the database's checkpoints only."
    )


def test_legacy_events_before_the_keyed_chain_are_counted(db):
    """A deployed trail: rows written before this change keep their unkeyed hashes."""
    from accounts.models import Team
    from audit.services import build_event

    team, prev = Team.objects.get(code="L2"), GENESIS_HASH
    legacy = []
    for seq in (1, 2):
        event = build_event(action="update", obj=team, changes={"n": [seq, seq + 1]})
        event.seq, event.prev_hash, event.scheme = seq, prev, HashScheme.LEGACY_SHA256
        event.hash = prev = event.compute_hash()
        legacy.append(event)
    AuditEvent.objects.bulk_create(legacy)
    record(2)
    checkpoint()
    assert list(AuditEvent.objects.order_by("seq").values_list("scheme", flat=True)) == [1, 1, 2, 2]
    assert verify() == (
        "Audit trail intact: 4 event(s) and 1 checkpoint(s) verified. "
        "2 legacy unkeyed event(s) precede the keyed chain."
    )

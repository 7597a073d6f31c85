"""The audit trail: chained, append-only in the database, verified by a command, read by
auditors through the API."""

import importlib
import io
import threading
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import Team
from audit.models import GENESIS_HASH, SYSTEM_ACTOR, AuditEvent
from audit.services import audit_record
from audit.verify import verify_chain
from tests.helpers import assert_error

TRIGGERS = importlib.import_module("audit.migrations.0002_append_only_triggers")


def record(n: int = 1, actor=None, ref: str = "SVC-000001"):
    team = Team.objects.get(code="L2")
    return [
        audit_record(action="update", obj=team, actor=actor, ref=ref, changes={"n": [i, i + 1]})
        for i in range(n)
    ]


def raw(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def triggers_off():
    """Let the test tamper with the trail as someone with DDL rights could."""
    if connection.vendor == "postgresql":
        # ALTER TABLE refuses while deferred foreign-key checks of new rows are pending.
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        try:
            yield
        finally:
            raw("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")
            raw("SET CONSTRAINTS ALL DEFERRED")
    else:
        raw("DROP TRIGGER audit_auditevent_no_update")
        raw("DROP TRIGGER audit_auditevent_no_delete")
        try:
            yield
        finally:
            for statement in TRIGGERS.SQLITE_UP:
                raw(statement)


def verify() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue().strip()


# --- the chain ---------------------------------------------------------------------------


def test_events_are_numbered_and_chained(db):
    events = record(3)
    stored = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3]
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert stored[0].prev_hash == GENESIS_HASH
    for previous, event in zip(stored, stored[1:], strict=False):
        assert event.prev_hash == previous.hash
    for event in stored:
        assert len(event.hash) == 64
        assert event.hash == event.compute_hash()
    assert len({e.hash for e in stored}) == 3


def test_system_actor_when_none(db):
    (event,) = record()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_label == SYSTEM_ACTOR == "system"
    assert event.domain_action == "update"
    assert event.ref_id == "SVC-000001"
    assert event.ref_type == "team"
    assert event.changes == {"n": [0, 1]}


def test_user_actor_is_named(make_user):
    user = make_user("admin", username="alice", email="alice@example.com")
    (event,) = record(actor=user)
    event.refresh_from_db()
    assert event.actor == user
    assert event.actor_label == "alice"
    assert event.actor_email == "alice@example.com"


def test_the_hash_covers_what_happened(db):
    (event,) = record()
    event.refresh_from_db()
    original = event.hash
    event.ref_id = "SVC-000002"
    assert event.compute_hash() != original
    event.refresh_from_db()
    event.actor_label = "mallory"
    assert event.compute_hash() != original


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        audit_record(action="teleport", obj=Team.objects.get(code="L2"))
    assert not AuditEvent.objects.exists()


def test_event_rolls_back_with_its_transaction(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        record()
        raise RuntimeError
    assert not AuditEvent.objects.exists()
    (event,) = record()
    assert event.seq == 1


# --- append-only, enforced by the database -------------------------------------------------


def test_raw_update_is_refused_by_the_database(db):
    (event,) = record()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE audit_auditevent SET ref_id='x'")
    event.refresh_from_db()
    assert event.ref_id == "SVC-000001"
    assert event.hash == event.compute_hash()


def test_raw_delete_is_refused_by_the_database(db):
    record(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 2


@pytest.mark.postgres
def test_truncate_is_refused_unless_the_session_allows_it(db):
    """``manage.py flush`` on a production database must not empty the trail."""
    record(2)
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign-key checks pending before TRUNCATE
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
        raw("SET LOCAL ims.allow_audit_truncate = 'off'")
        raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 2
    with transaction.atomic():  # the escape hatch the test suite's own flush uses
        raw("SET LOCAL ims.allow_audit_truncate = 'on'")
        raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 0


def test_orm_update_and_delete_are_refused(db):
    (event,) = record()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="mallory")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    event.refresh_from_db()
    assert event.actor_label == "system"


def test_tamper_helper_restores_the_triggers(db):
    """Guards the tests below: after tampering, the trail is protected again."""
    record()
    with triggers_off():
        raw("UPDATE audit_auditevent SET ref_id='x'")
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE audit_auditevent SET ref_id='y'")
    assert AuditEvent.objects.get().ref_id == "x"


# --- audit_verify ----------------------------------------------------------------------------


def test_verify_empty_chain(db):
    assert verify() == (
        "Audit trail intact: 0 event(s) and 0 checkpoint(s) verified. "
        "No checkpoint yet: run manage.py audit_checkpoint."
    )


def test_verify_intact_chain(db):
    record(4)
    assert verify() == (
        "Audit trail intact: 4 event(s) and 0 checkpoint(s) verified. "
        "No checkpoint yet: run manage.py audit_checkpoint."
    )


def test_verify_names_the_modified_event(db):
    events = record(4)
    with triggers_off():
        raw("UPDATE audit_auditevent SET ref_id='INC-666666' WHERE seq = 3")
    with pytest.raises(CommandError) as excinfo:
        verify()
    assert str(excinfo.value) == (
        f"Audit chain broken at event #3 (id {events[2].pk}): its content does not match its hash "
        "(modified). 2 event(s) before it verified."
    )


def test_verify_detects_a_rehashed_event_by_its_successor(db):
    """Rewriting an event and its own hash still breaks the next event's link."""
    events = record(4)
    target = AuditEvent.objects.get(seq=2)
    target.changes = {"n": [0, 999]}
    new_hash = target.compute_hash()
    with triggers_off():
        raw(
            "UPDATE audit_auditevent SET changes=%s, hash=%s WHERE seq = 2",
            ['{"n": [0, 999]}', new_hash],
        )
    assert AuditEvent.objects.get(seq=2).hash == AuditEvent.objects.get(seq=2).compute_hash()
    with pytest.raises(CommandError) as excinfo:
        verify()
    assert str(excinfo.value) == (
        f"Audit chain broken at event #3 (id {events[2].pk}): its prev_hash does not match the "
        "previous event's hash. 2 event(s) before it verified."
    )


def test_verify_detects_a_deleted_middle_event(db):
    record(4)
    with triggers_off():
        raw("DELETE FROM audit_auditevent WHERE seq = 2")
    with pytest.raises(CommandError) as excinfo:
        verify()
    assert str(excinfo.value) == (
        "Audit chain broken at event #2: event #2 is missing (next found is #3). "
        "1 event(s) before it verified."
    )


def test_verify_detects_a_deleted_first_event(db):
    record(2)
    with triggers_off():
        raw("DELETE FROM audit_auditevent WHERE seq = 1")
    with pytest.raises(CommandError, match=r"event #1 is missing \(next found is #2\)"):
        verify()


def test_verify_function_reports_the_break(db):
    record(3)
    with triggers_off():
        raw("UPDATE audit_auditevent SET actor_label='mallory' WHERE seq = 1")
    checked, broken = verify_chain(batch_size=1)
    assert checked == 0
    assert broken.seq == 1
    assert "modified" in broken.reason


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_chain():
    """The chain lock makes seq and prev_hash follow commit order under concurrency."""
    workers, per_worker = 6, 10
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(per_worker):
                with transaction.atomic():
                    record(ref=f"SVC-{index:06d}")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert verify_chain() == (workers * per_worker, None)
    assert verify().startswith(
        f"Audit trail intact: {workers * per_worker} event(s) and 0 checkpoint(s) verified."
    )


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def trail(make_user):
    """Two services created through the catalog service: events for SVC-000001 and SVC-000002."""
    from catalog.services import service_create, service_update

    admin = make_user("admin", username="cat-admin")
    mail = service_create(actor=admin, name="Mail")
    vpn = service_create(actor=admin, name="VPN")
    service_update(actor=admin, service=mail, criticality="high")
    assert (mail.reference, vpn.reference) == ("SVC-000001", "SVC-000002")
    return mail, vpn


@pytest.mark.parametrize("role", ["auditor", "incident_manager", "admin"])
def test_audit_readers_filter_by_ref(api, make_user, trail, role):
    response = api(make_user(role)).get("/api/v1/audit/?ref=SVC-000001")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert {event["ref"] for event in body["results"]} == {"SVC-000001"}
    assert [event["action"] for event in body["results"]] == ["update", "create"]  # newest first
    first = body["results"][0]
    assert first["actor"] == "cat-admin"
    assert first["changes"] == {"criticality": ["medium", "high"]}
    assert first["ref_type"] == "service"
    assert set(first) == {
        "seq",
        "timestamp",
        "action",
        "ref_type",
        "ref",
        "actor",
        "changes",
        "additional_data",
        "hash",
        "prev_hash",
    }


def test_unfiltered_list_has_every_event(api, make_user, trail):
    body = api(make_user("auditor")).get("/api/v1/audit/").json()
    # the trail as it was when asked; the read itself is the fourth event
    assert body["count"] == 3
    assert [e["seq"] for e in body["results"]] == [3, 2, 1]
    assert AuditEvent.objects.order_by("-seq").first().domain_action == "read"


def test_superuser_reads_the_trail(api, make_user, trail):
    superuser = make_user(is_superuser=True, is_staff=True)
    assert api(superuser).get("/api/v1/audit/?ref=SVC-000002").json()["count"] == 1


def test_detail_by_seq(api, make_user, trail):
    body = api(make_user("auditor")).get("/api/v1/audit/1/").json()
    assert (body["seq"], body["ref"], body["action"]) == (1, "SVC-000001", "create")


@pytest.mark.parametrize("role", ["service_desk", "end_user"])
def test_other_roles_may_not_read_the_trail(api, make_user, trail, role):
    response = api(make_user(role)).get("/api/v1/audit/?ref=SVC-000001")
    error = assert_error(
        response,
        403,
        "permission_denied",
        message="Your role may not do this. Required: admin, auditor, incident_manager.",
    )
    assert "SVC-000001" not in str(error)


def test_user_without_roles_may_not_read_the_trail(api, make_user, trail):
    assert_error(api(make_user()).get("/api/v1/audit/"), 403, "permission_denied")


def test_the_trail_is_read_only_over_the_api(api, make_user, trail):
    client = api(make_user("admin"))
    assert_error(client.post("/api/v1/audit/", {"ref": "x"}, format="json"), 405, "method_not_allowed")
    assert_error(client.delete("/api/v1/audit/1/"), 405, "method_not_allowed")
    assert_error(client.patch("/api/v1/audit/1/", {"ref_id": "x"}, format="json"), 405, "method_not_allowed")
    assert AuditEvent.objects.get(seq=1).ref_id == "SVC-000001"

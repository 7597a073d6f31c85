"""Conflicting operations on one incident from parallel threads, on PostgreSQL.

Each thread has its own database connection (closed when it ends); a barrier releases
them together. The services lock the incident row for the whole operation, so the second
comer sees the first one's result: it either succeeds on the new state or is refused with a
409 and writes nothing. Every race runs several rounds to give the scheduler chances to
interleave them.
"""

import itertools
import re
import threading
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from accounts.models import Team, User
from audit.models import AuditEvent
from audit.verify import verify_chain
from catalog.models import Service
from communications.models import Communication
from core.errors import DomainError
from incidents import services
from incidents.models import Incident

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 6
_names = itertools.count(1)


def _user(*roles: str, team: str | None = None) -> User:
    user = User.objects.create_user(username=f"cc{next(_names)}", password=None)
    user.groups.add(*Group.objects.filter(name__in=roles))
    if team:
        Team.objects.get(code=team).members.add(user)
    return user


def _incident(by: User, service: Service, *, status: str) -> Incident:
    incident, _ = services.incident_create(
        actor=by,
        title=f"Queue {next(_names)} stuck",
        impact="medium",
        urgency="medium",
        affected_service=service.reference,
    )
    ref = incident.reference
    if status != "open":
        services.incident_assign(incident=ref, actor=by, team="L1")
    if status == "escalated":
        services.incident_escalate(incident=ref, actor=by, target="L2", reason="Needs a database expert.")
    if status == "resolved":
        services.incident_resolve(
            incident=ref, actor=by, resolution_summary="Drained.", service_restored=True
        )
    incident = Incident.objects.get(reference=ref)
    assert incident.status == status
    return incident


def race(*calls: Callable) -> list[tuple[str, object]]:
    """Run each call in its own thread, released together. Returns, per call, ("ok", result)
    or ("refused", DomainError); anything else raised fails the test."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def work(index: int, call: Callable) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", call())
        except DomainError as refusal:
            outcomes[index] = ("refused", refusal)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            outcomes[index] = ("crashed", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an operation hung (deadlock?)"
    crashed = [outcome for outcome in outcomes if outcome[0] != "ok" and outcome[0] != "refused"]
    assert not crashed, crashed
    return outcomes


def _events(ref: str, action: str | None = None) -> int:
    events = AuditEvent.objects.filter(ref_id=ref)
    return (events.filter(domain_action=action) if action else events).count()


def _assert_chain_verifies() -> None:
    checked, broken = verify_chain()
    assert broken is None, broken
    assert checked == AuditEvent.objects.count()


def _only_refusal(outcomes) -> DomainError:
    refusals = [value for kind, value in outcomes if kind == "refused"]
    assert len(refusals) == 1, outcomes
    return refusals[0]


def test_two_closes_of_a_resolved_incident_close_it_once():
    first, second = _user("incident_manager"), _user("service_desk_manager")
    service = Service.objects.create(name="Payments")
    for _ in range(ROUNDS):
        ref = _incident(first, service, status="resolved").reference
        outcomes = race(
            lambda ref=ref: services.incident_close(incident=ref, actor=first, closure_notes="by first"),
            lambda ref=ref: services.incident_close(incident=ref, actor=second, closure_notes="by second"),
        )
        assert [kind for kind, _ in outcomes].count("ok") == 1, outcomes
        refusal = _only_refusal(outcomes)
        assert (refusal.code, refusal.http_status) == ("invalid_transition", 409)
        assert refusal.message == (f"{ref} is closed; only an incident that is resolved can be closed.")
        winner = "by first" if outcomes[0][0] == "ok" else "by second"
        incident = Incident.objects.get(reference=ref)
        assert (incident.status, incident.closure_notes) == ("closed", winner)
        assert _events(ref, "close") == 1
        assert AuditEvent.objects.filter(ref_id=ref, domain_action="close").get().actor_label == (
            first.username if winner == "by first" else second.username
        )
    _assert_chain_verifies()


def test_assign_racing_resolve_on_the_same_version_lets_exactly_one_through():
    """Both clients act on the version they loaded (If-Match): whichever locks the row
    second finds it changed and gets 409 conflict, having written nothing."""
    manager, analyst = _user("service_desk_manager"), _user("service_desk")
    service = Service.objects.create(name="Mail")
    winners = set()
    for _ in range(ROUNDS):
        incident = _incident(manager, service, status="escalated")
        ref, version = incident.reference, incident.version
        events, notes = _events(ref), Communication.objects.filter(subject_ref=ref).count()
        outcomes = race(
            lambda ref=ref, v=version: services.incident_assign(
                incident=ref, actor=manager, team="L3", expected_version=v
            ),
            lambda ref=ref, v=version: services.incident_resolve(
                incident=ref,
                actor=analyst,
                resolution_summary="Restarted.",
                service_restored=True,
                expected_version=v,
            ),
        )
        refusal = _only_refusal(outcomes)
        assert (refusal.code, refusal.http_status) == ("conflict", 409)
        assert refusal.fields == {"version": version + 1}
        after = Incident.objects.select_related("assigned_team").get(reference=ref)
        assert after.version == version + 1
        assert _events(ref) == events + 1  # the loser wrote no audit event
        assert Communication.objects.filter(subject_ref=ref).count() == notes
        if outcomes[0][0] == "ok":
            winners.add("assign")
            assert (after.status, after.assigned_team.code, after.resolved_at) == ("in_progress", "L3", None)
            assert _events(ref, "resolve") == 0
        else:
            winners.add("resolve")
            assert (after.status, after.assigned_team.code) == ("resolved", "L2")
            assert after.resolved_at is not None and after.resolution_summary == "Restarted."
            assert AuditEvent.objects.filter(ref_id=ref).order_by("-seq")[0].actor_label == analyst.username
    assert winners  # (which one wins is up to the scheduler)
    _assert_chain_verifies()


def test_assign_racing_resolve_without_versions_is_serializable():
    """Without If-Match the outcome must equal one of the two serial orders: resolve then
    assign (the assign is refused: 409 invalid_transition, nothing written) or assign then
    resolve (both succeed). A lost update, e.g. an in_progress incident with a resolve
    event, would be neither."""
    manager, analyst = _user("service_desk_manager"), _user("service_desk")
    service = Service.objects.create(name="VPN")
    for _ in range(ROUNDS):
        ref = _incident(manager, service, status="escalated").reference
        events = _events(ref)
        outcomes = race(
            lambda ref=ref: services.incident_assign(incident=ref, actor=manager, team="L3"),
            lambda ref=ref: services.incident_resolve(
                incident=ref, actor=analyst, resolution_summary="Restarted.", service_restored=True
            ),
        )
        (assign_kind, assign_value), (resolve_kind, _) = outcomes
        after = Incident.objects.select_related("assigned_team").get(reference=ref)
        assert resolve_kind == "ok", outcomes
        assert (after.status, after.resolution_summary) == ("resolved", "Restarted.")
        if assign_kind == "ok":  # assign, then resolve
            assert after.assigned_team.code == "L3"
            assert _events(ref) == events + 2
            assert list(
                AuditEvent.objects.filter(ref_id=ref)
                .order_by("-seq")
                .values_list("domain_action", flat=True)[:2]
            ) == ["resolve", "update"]
        else:  # resolve, then the assign is refused
            assert (assign_value.code, assign_value.http_status) == ("invalid_transition", 409)
            assert after.assigned_team.code == "L2"
            assert _events(ref) == events + 1
    _assert_chain_verifies()


def test_two_assigns_with_the_same_expected_version_one_gets_conflict():
    manager, commander = _user("service_desk_manager"), _user("incident_manager")
    service = Service.objects.create(name="Intranet")
    for _ in range(ROUNDS):
        incident = _incident(manager, service, status="in_progress")
        ref, version = incident.reference, incident.version
        events = _events(ref)
        outcomes = race(
            lambda ref=ref, v=version: services.incident_assign(
                incident=ref, actor=manager, team="L2", expected_version=v
            ),
            lambda ref=ref, v=version: services.incident_assign(
                incident=ref, actor=commander, team="L3", expected_version=v
            ),
        )
        refusal = _only_refusal(outcomes)
        assert (refusal.code, refusal.http_status) == ("conflict", 409)
        assert refusal.message == (
            f"{ref} changed since you loaded it (version {version}, now {version + 1}). "
            "Reload it and try again."
        )
        winner_team = "L2" if outcomes[0][0] == "ok" else "L3"
        after = Incident.objects.select_related("assigned_team").get(reference=ref)
        assert (after.assigned_team.code, after.version, after.status) == (
            winner_team,
            version + 1,
            "in_progress",
        )
        assert _events(ref) == events + 1
    _assert_chain_verifies()


def test_ten_concurrent_creates_get_distinct_references_and_a_valid_chain():
    reporters = [_user("end_user") for _ in range(10)]
    service = Service.objects.create(name="Printing")
    events_before = AuditEvent.objects.count()
    outcomes = race(
        *[
            lambda user=user: (
                services.incident_create(
                    actor=user,
                    title=f"Printer on floor {user.pk} offline",
                    impact="low",
                    urgency="medium",
                    affected_service=service.reference,
                )[0].reference
            )
            for user in reporters
        ]
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    references = [ref for _, ref in outcomes]
    assert len(set(references)) == 10, references
    assert all(re.fullmatch(r"INC-\d{6}", ref) for ref in references), references
    numbers = sorted(int(ref[4:]) for ref in references)
    assert numbers == list(range(numbers[0], numbers[0] + 10)), "references skip or repeat numbers"
    assert Incident.objects.filter(reference__in=references).count() == 10
    identify = AuditEvent.objects.filter(domain_action="identify", ref_id__in=references)
    assert sorted(identify.values_list("ref_id", flat=True)) == sorted(references)
    assert AuditEvent.objects.count() == events_before + 10
    seqs = sorted(AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    _assert_chain_verifies()


def test_parallel_assigns_to_different_teams_without_versions_all_end_ok():
    """Issue 15 #2: without a version, parallel reassignments serialize on the row lock.
    The row's assigned_team_id changed under the lock; the team joined before the wait must
    not be used (it answered AttributeError, a 500). Each one succeeds on the state the
    previous one left, and the last to commit holds the incident."""
    manager = _user("incident_manager")
    service = Service.objects.create(name="Directory")
    teams = ["service_desk", "L1", "L2", "L3", "facilities", "change_mgmt", "devops"]
    for _ in range(3):
        ref = _incident(manager, service, status="open").reference
        events = _events(ref)
        outcomes = race(
            *[
                lambda ref=ref, team=team: services.incident_assign(incident=ref, actor=manager, team=team)
                for team in teams
            ]
        )
        assert [kind for kind, _ in outcomes] == ["ok"] * len(teams), outcomes
        after = Incident.objects.select_related("assigned_team").get(reference=ref)
        last = AuditEvent.objects.filter(ref_id=ref, domain_action="update").order_by("-seq").first()
        assert last.changes["team"][1] == after.assigned_team.code
        assert _events(ref) == events + len(teams) + 1  # and the first one's acknowledgement
        assert Communication.objects.filter(subject_ref=ref, kind="acknowledgement").count() == 1
    _assert_chain_verifies()

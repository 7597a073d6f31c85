"""The sweep in batches: the statements of a batch grow with its incidents by a constant
number each; an incident that fails or is refused in the middle of a batch does not stop
the others, and what it leaves is whole (no audit event of work rolled back).
"""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.verify import verify_chain
from communications.models import Communication
from core.errors import DomainError, ErrorCode
from incidents import services
from incidents.models import Incident
from incidents.sweep import sla_sweep
from sla.models import SlaEvent
from tests.sla.support import T0, at, audit_for, reload, sla_events, sweeps_at_once

HOUR = timedelta(hours=1)
# a P3 on the 24x7 calendar logged at L owes its acknowledge warning at L + 3 h and its
# breach (an escalation to L1) at L + 4 h: swept at L + 5 h, it gets two actions
DUE_AFTER = timedelta(hours=5)
DEFERRED_WRITES = ('INSERT INTO "audit_auditevent"', 'INSERT INTO "sla_slaevent"')


def sweep(now, **options):
    with at(now):
        return sla_sweep(now=now, **options)


def log_p3s(log_incident, service, count: int, when):
    return [log_incident("P3", when=when, service=service, title=f"Disk {n}") for n in range(count)]


def test_statements_per_incident_do_not_grow_with_the_batch(log_incident, always_service):
    """Three sweeps of 5, 20 and 50 due incidents, each in one batch: every incident adds
    the same number of statements (each incident here owes two actions)."""
    # warm up: the per-process caches (content types, SLA targets, calendars) and the
    # communications' reference counter; this incident owes nothing afterwards
    log_incident("P3", when=T0 - timedelta(days=3), service=always_service)
    assert sum(sweep(T0 - timedelta(days=1)).values()) == 4
    counts = {}
    logged = T0
    for size in (5, 20, 50):
        log_p3s(log_incident, always_service, size, logged)
        with CaptureQueriesContext(connection) as queries:
            done = sweep(logged + DUE_AFTER, batch_size=100)
        assert done == {"acknowledge_warning": size, "acknowledge_breach": size}
        # each of the batch's two deferred writes counts once (SQLite splits an INSERT
        # at its limit of bound parameters: 999 in older versions)
        writes = [q for q in queries if q["sql"].startswith(DEFERRED_WRITES)]
        assert {w for w in DEFERRED_WRITES for q in writes if q["sql"].startswith(w)} == set(DEFERRED_WRITES)
        counts[size] = len(queries) - len(writes) + 2
        logged += DUE_AFTER  # the next group; the earlier ones owe nothing before T0 + 18 h
    per_incident = (counts[20] - counts[5]) / 15
    assert (counts[50] - counts[20]) / 30 == per_incident, counts
    per_batch = counts[5] - 5 * per_incident
    # one batch: its transaction (here a savepoint and its release, inside the test's),
    # lock the incidents, read their SlaEvents, write the SlaEvents, lock the audit chain
    # (PostgreSQL), read its head, write the audit events
    assert per_batch == (8 if connection.vendor == "postgresql" else 7), counts
    # two actions each: the warning (its message: counter and row; the incident) and the
    # escalation (its message: counter and row; the incident, its marker saved with it) —
    # the escalation works on the row the batch locked, in the batch's transaction, and
    # the team comes from the per-process cache
    assert per_incident == 6, counts
    assert verify_chain()[1] is None


def _five_due(log_incident, always_service):
    incidents = log_p3s(log_incident, always_service, 5, T0)
    return incidents, incidents[2]


def _ref(incident) -> str:
    """The reference an escalation was asked for (the sweep hands over the locked Incident)."""
    return getattr(incident, "reference", incident)


class Snapshot:
    def __init__(self):
        self.audit_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        self.communications = Communication.objects.count()


def test_a_failing_incident_in_the_middle_of_a_batch_does_not_stop_the_others(
    log_incident, always_service, monkeypatch, caplog
):
    """Its escalation raises after the escalation service has written and audited it: all
    of this incident's work of the sweep (its warning too) is rolled back, with its audit
    events and SlaEvents; the others are swept; the next sweep does it."""
    incidents, failing = _five_due(log_incident, always_service)
    real_escalate = services.sla.incident_escalate

    def escalate_then_fail(*, incident, **kwargs):
        escalated = real_escalate(incident=incident, **kwargs)
        if _ref(incident) == failing.reference:
            raise RuntimeError("the disk is full")
        return escalated

    monkeypatch.setattr(services.sla, "incident_escalate", escalate_then_fail)
    before = Snapshot()
    version = reload(failing).version
    now = T0 + DUE_AFTER
    with caplog.at_level(logging.INFO, logger="incidents.sweep"):
        done = sweep(now, batch_size=5)

    assert done == {"acknowledge_warning": 4, "acknowledge_breach": 4}
    assert f"SLA sweep of {failing.reference} failed" in caplog.text
    assert "RuntimeError: the disk is full" in caplog.text
    for incident in incidents:
        incident_now = reload(incident)
        if incident == failing:
            assert (incident_now.status, incident_now.version) == ("open", version)
            assert incident_now.acknowledge_warned_at is None
            assert not sla_events(incident).exists()
            assert not audit_for(incident).filter(seq__gt=before.audit_seq).exists()
            assert not Communication.objects.filter(subject_ref=incident.reference).exists()
        else:
            assert (incident_now.status, incident_now.assigned_team.code) == ("escalated", "L1")
            assert sla_events(incident).count() == 2
            assert audit_for(incident).filter(seq__gt=before.audit_seq).count() == 2
    assert Communication.objects.count() - before.communications == 8
    checked, broken = verify_chain()
    assert broken is None, broken
    assert checked == AuditEvent.objects.count()

    monkeypatch.setattr(services.sla, "incident_escalate", real_escalate)
    assert sweep(now + timedelta(minutes=1)) == {"acknowledge_warning": 1, "acknowledge_breach": 1}
    assert reload(failing).status == "escalated"
    assert verify_chain()[1] is None


def test_a_refused_action_keeps_the_incidents_earlier_actions_and_the_others_go_on(
    log_incident, always_service, monkeypatch, caplog
):
    """A refused escalation (DomainError) in the middle of a batch: that incident keeps its
    warning, its breach is left for the next sweep; the others are swept."""
    incidents, refused = _five_due(log_incident, always_service)
    real_escalate = services.sla.incident_escalate

    def refuse_one(*, incident, **kwargs):
        if _ref(incident) == refused.reference:
            raise DomainError(ErrorCode.PRECONDITION_FAILED, f"{_ref(incident)} cannot be escalated now.")
        return real_escalate(incident=incident, **kwargs)

    monkeypatch.setattr(services.sla, "incident_escalate", refuse_one)
    before = Snapshot()
    now = T0 + DUE_AFTER
    with caplog.at_level(logging.WARNING, logger="incidents.sweep"):
        done = sweep(now, batch_size=5)

    assert done == {"acknowledge_warning": 5, "acknowledge_breach": 4}
    assert caplog.text.count(f"SLA action acknowledge_breach on {refused.reference} refused") == 1
    kept = reload(refused)
    assert (kept.status, kept.acknowledge_warned_at, kept.acknowledge_breached_at) == ("open", now, None)
    assert list(sla_events(refused).values_list("kind", flat=True)) == ["acknowledge_warning"]
    assert [e.domain_action for e in audit_for(refused).filter(seq__gt=before.audit_seq)] == ["notify"]
    assert all(reload(i).status == "escalated" for i in incidents if i != refused)
    assert verify_chain()[1] is None

    monkeypatch.setattr(services.sla, "incident_escalate", real_escalate)
    assert sweep(now + timedelta(minutes=1)) == {"acknowledge_breach": 1}
    assert reload(refused).status == "escalated"


def test_the_sweep_takes_what_is_due_in_batches_of_the_given_size(log_incident, always_service):
    incidents = log_p3s(log_incident, always_service, 7, T0)
    with CaptureQueriesContext(connection) as queries:
        assert sweep(T0 + DUE_AFTER, batch_size=3) == {"acknowledge_warning": 7, "acknowledge_breach": 7}
    locks = [q["sql"] for q in queries if '"sla_next_check_at" <=' in q["sql"]]
    assert len(locks) == 3  # 3 + 3 + 1
    assert Incident.objects.filter(pk__in=[i.pk for i in incidents], status="escalated").count() == 7
    assert SlaEvent.objects.count() == 14


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_with_a_refusal_act_exactly_once(make_user, make_service, monkeypatch):
    """Two workers sweep 60 incidents side by side in batches of the default size; one
    incident's escalation is refused, so the batch holding it is done again: still each
    check once, the refused breach on neither, and the chain whole."""
    manager = make_user("incident_manager", team="incident_manager")
    service = make_service("24x7")
    with at(T0):
        refs = [
            services.incident_create(
                actor=manager, title=f"Disk {n}", impact="medium", urgency="medium",
                affected_service=service.reference,
            )[0].reference
            for n in range(60)
        ]  # fmt: skip
    refused = refs[31]
    real_escalate = services.sla.incident_escalate

    def refuse_one(*, incident, **kwargs):
        if _ref(incident) == refused:
            raise DomainError(ErrorCode.PRECONDITION_FAILED, f"{refused} cannot be escalated now.")
        return real_escalate(incident=incident, **kwargs)

    monkeypatch.setattr(services.sla, "incident_escalate", refuse_one)
    now = T0 + DUE_AFTER
    before_audit = AuditEvent.objects.count()
    results, errors = sweeps_at_once(now)
    assert not errors, errors
    assert results[0] + results[1] == {"acknowledge_warning": 60, "acknowledge_breach": 59}
    events = list(SlaEvent.objects.filter(subject_ref__in=refs).values_list("subject_ref", "kind"))
    assert len(events) == len(set(events)) == 119
    assert (refused, "acknowledge_breach") not in events
    assert AuditEvent.objects.count() - before_audit == 119
    assert Incident.objects.filter(reference__in=refs, status="escalated", escalation_count=1).count() == 59
    checked, broken = verify_chain()
    assert broken is None, broken
    assert checked == AuditEvent.objects.count()

"""The intake service: rules, idempotency, de-duplication, refusals (code, message,
nothing written)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from communications.models import Communication
from core.errors import DomainError
from incidents.models import Incident
from monitoring.models import RAW_LIMIT, Event, IncidentAlert, IntakeRule
from monitoring.services import BATCH_LIMIT, events_ingest

pytestmark = pytest.mark.django_db


def counts():
    return (Event.objects.count(), Incident.objects.count(), IncidentAlert.objects.count(),
            Communication.objects.count(), AuditEvent.objects.count())  # fmt: skip


def test_critical_event_opens_an_incident_and_notifies_the_service_desk(people, event, svc):
    [result] = events_ingest(actor=people.im, items=[event(severity="critical")])
    ev = result.event
    assert result.created and ev.reference.startswith("EVT-") and ev.outcome == "opened"
    inc = ev.incident
    assert (inc.impact, inc.urgency, inc.priority) == ("high", "high", inc.priority)
    assert inc.detection_source == "monitoring_tool" and inc.affected_service == svc
    assert inc.title.startswith("HighErrorRate on Email")
    notice = Communication.objects.get(subject_ref=inc.reference)
    assert notice.recipients == ["team"] and notice.recipient_detail == "service_desk"
    alert = IncidentAlert.objects.get(incident=inc)
    assert (alert.count, alert.dedup_key) == (1, f"{svc.reference}:HighErrorRate")
    event_audit = AuditEvent.objects.get(ref_id=ev.reference)
    assert event_audit.domain_action == "create" and event_audit.additional_data["source"] == "monitoring"
    assert "raw" not in (event_audit.changes or {})
    actions = sorted(AuditEvent.objects.filter(ref_id=inc.reference).values_list("domain_action", flat=True))
    assert actions == ["identify", "notify"]


def test_high_event_opens_with_medium_urgency_and_automated_alert_source(people, event):
    [r] = events_ingest(actor=people.im, items=[event(severity="high", source="automated_alert")])
    assert (r.event.incident.impact, r.event.incident.urgency) == ("high", "medium")
    assert r.event.incident.detection_source == "automated_alert"


@pytest.mark.parametrize("severity", ["low", "medium"])
def test_lower_severities_are_stored_only(people, event, severity):
    [r] = events_ingest(actor=people.im, items=[event(severity=severity)])
    assert r.created and r.event.outcome == "stored" and r.event.incident is None
    assert Incident.objects.count() == 0 and Communication.objects.count() == 0


def test_a_rule_decides_category_impact_and_urgency_first_by_priority(people, event, svc):
    IntakeRule.objects.create(name="db", priority=1, service=svc, alert_type="DiskFull", severity="medium",
                              category="hardware", impact="medium", urgency="high")  # fmt: skip
    IntakeRule.objects.create(name="db-later", priority=2, alert_type="DiskFull", opens_incident=False)
    [r] = events_ingest(actor=people.im, items=[event(alert_type="DiskFull", severity="medium")])
    inc = r.event.incident
    assert (inc.category, inc.impact, inc.urgency) == ("hardware", "medium", "high")
    assert r.event.rule.name == "db"


def test_a_rule_that_does_not_open_stores_a_critical_event(people, event):
    IntakeRule.objects.create(name="noisy", priority=1, alert_type="Flapping", opens_incident=False)
    [r] = events_ingest(actor=people.im, items=[event(alert_type="Flapping")])
    assert r.event.outcome == "stored" and Incident.objects.count() == 0


def test_inactive_rules_are_skipped(people, event):
    IntakeRule.objects.update(is_active=False)
    [r] = events_ingest(actor=people.im, items=[event()])
    assert r.event.outcome == "stored"


def test_a_replay_answers_the_same_event_and_writes_nothing(people, event):
    body = event(event_id="abc-1")
    [first] = events_ingest(actor=people.im, items=[body])
    before = counts()
    [again] = events_ingest(actor=people.im, items=[body])
    assert not again.created and again.event.pk == first.event.pk
    assert counts() == before


def test_the_same_event_id_from_another_source_is_another_event(people, event):
    events_ingest(actor=people.im, items=[event(event_id="x", severity="low")])
    [r] = events_ingest(
        actor=people.im, items=[event(event_id="x", severity="low", source="automated_alert")]
    )
    assert r.created and Event.objects.count() == 2


def test_a_replay_inside_one_batch_is_created_once(people, event):
    body = event(event_id="dup", severity="low")
    results = events_ingest(actor=people.im, items=[body, body])
    assert [r.created for r in results] == [True, False]
    assert results[0].event is results[1].event and Event.objects.count() == 1


def test_same_dedup_key_attaches_to_the_open_incident(people, event):
    t0 = timezone.now() - timedelta(minutes=10)
    [first] = events_ingest(actor=people.im, items=[event(occurred_at=t0.isoformat())])
    [second] = events_ingest(actor=people.im, items=[event(severity="low")])
    assert second.event.outcome == "attached" and second.event.incident == first.event.incident
    alert = IncidentAlert.objects.get()
    assert alert.count == 2 and alert.first_seen == t0 and alert.last_seen > t0
    assert Incident.objects.count() == 1
    assert Communication.objects.count() == 1  # the service desk is told once


def test_a_batch_with_one_dedup_key_opens_one_incident(people, event):
    results = events_ingest(actor=people.im, items=[event() for _ in range(20)])
    assert Incident.objects.count() == 1
    assert [r.event.outcome for r in results] == ["opened"] + ["attached"] * 19
    assert IncidentAlert.objects.get().count == 20


def test_an_explicit_dedup_key_groups_across_alert_types(people, event):
    events_ingest(actor=people.im, items=[event(dedup_key="db-cluster", alert_type="A")])
    [r] = events_ingest(actor=people.im, items=[event(dedup_key="db-cluster", alert_type="B")])
    assert r.event.outcome == "attached"


def test_a_resolved_incident_takes_no_more_events(people, event):
    [first] = events_ingest(actor=people.im, items=[event()])
    Incident.objects.filter(pk=first.event.incident_id).update(status="resolved")
    [r] = events_ingest(actor=people.im, items=[event()])
    assert r.event.outcome == "opened" and r.event.incident_id != first.event.incident_id


def test_raw_payload_is_truncated(people, event):
    [r] = events_ingest(actor=people.im, items=[event(severity="low", extra="x" * (RAW_LIMIT * 2))])
    assert len(r.event.raw.encode()) == RAW_LIMIT


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"source": "syslog"}, "source", "Invalid event: source."),
        ({"severity": "urgent"}, "severity", "Invalid event: severity."),
        ({"alert_type": None}, "alert_type", "Invalid event: alert_type."),
        ({"occurred_at": "yesterday"}, "occurred_at", "Invalid event: occurred_at."),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at", "Invalid event: occurred_at."),
        ({"summary": "s" * 501}, "summary", "Invalid event: summary."),
        ({"service": "SVC-999999"}, "service",
         "No active service SVC-999999; name a service of the catalog (SVC-…)."),
    ],
)  # fmt: skip
def test_an_invalid_item_is_refused_and_writes_nothing(people, event, change, field, message):
    before = counts()
    [r] = events_ingest(actor=people.im, items=[event(**change)])
    assert r.error.code == "validation_error" and r.error.message == message and field in r.error.fields
    assert r.event is None and counts() == before


def test_a_future_event_is_refused(people, event):
    [r] = events_ingest(
        actor=people.im, items=[event(occurred_at=(timezone.now() + timedelta(hours=1)).isoformat())]
    )
    assert r.error.fields["occurred_at"] == ["Must not be in the future."]


def test_an_inactive_service_is_refused(people, event, svc):
    svc.is_active = False
    svc.save()
    [r] = events_ingest(actor=people.im, items=[event()])
    assert r.error.fields == {"service": ["Unknown or inactive service."]}


def test_a_mixed_batch_keeps_the_valid_items(people, event):
    results = events_ingest(actor=people.im, items=[event(severity="low"), event(severity="bad"), "nope"])
    assert [r.created for r in results] == [True, False, False]
    assert results[2].error.message == "Each event is a JSON object."
    assert Event.objects.count() == 1


def test_batch_limit(people, event):
    before = counts()
    with pytest.raises(DomainError) as exc:
        events_ingest(actor=people.im, items=[event(severity="low")] * (BATCH_LIMIT + 1))
    assert exc.value.code == "validation_error"
    assert exc.value.message == "1001 events in one request; the limit is 1000. Split the batch."
    assert counts() == before


def test_an_empty_batch_is_refused(people):
    with pytest.raises(DomainError) as exc:
        events_ingest(actor=people.im, items=[])
    assert exc.value.message == "Post one event or a list of events."


POSTER_MESSAGE = (
    "Monitoring events are posted by intake tokens, admins and incident managers; "
    "ask an admin for an intake token."
)


@pytest.mark.parametrize(
    ("who", "via_token", "allowed"),
    [
        ("im", False, True), ("admin", False, True), ("analyst", False, False), ("sdm", False, False),
        ("l2", False, False), ("auditor", False, False), ("reporter", False, False), ("nobody", False, False),
        ("analyst", True, True), ("l2", True, True), ("auditor", True, True),
        ("reporter", True, False), ("nobody", True, False),
    ],
)  # fmt: skip
def test_who_may_post(people, event, who, via_token, allowed):
    before = counts()
    if allowed:
        [r] = events_ingest(actor=getattr(people, who), items=[event(severity="low")], intake_token=via_token)
        assert r.created
        return
    with pytest.raises(DomainError) as exc:
        events_ingest(actor=getattr(people, who), items=[event()], intake_token=via_token)
    assert exc.value.code == "permission_denied"
    assert exc.value.message == (
        "This intake token's user holds no staff role; give the integration's user a staff role."
        if via_token
        else POSTER_MESSAGE
    )
    assert counts() == before


def test_a_concurrent_insert_of_the_same_event_id_is_retried_once(people, event, monkeypatch):
    """Two requests carrying the same event id: the one that loses the unique constraint
    runs again and answers the stored event as a replay (here the first run fails as the
    loser's would)."""
    from django.db import IntegrityError

    from monitoring.services import intake

    real, calls = intake._ingest, []

    def losing_once(*args):
        calls.append(1)
        if len(calls) == 1:
            real(*args)  # writes inside the savepoint, which the error then rolls back
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(*args)

    monkeypatch.setattr(intake, "_ingest", losing_once)
    [r] = events_ingest(actor=people.im, items=[event(severity="low", event_id="race")])
    assert len(calls) == 2 and r.created and Event.objects.filter(event_id="race").count() == 1

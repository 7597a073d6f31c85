"""POST /api/v1/integrations/alertmanager/ (webhook version 4): firing, repeated, resolved."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from communications.models import Communication
from incidents.models import Incident
from monitoring.models import Event, IncidentAlert

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/alertmanager/"


@pytest.fixture
def webhook(svc):
    started = timezone.now().replace(microsecond=0).isoformat()

    def build(status="firing", fingerprint="f1", starts_at=None, severity="critical", **labels):
        alert = {
            "status": status,
            "labels": {"alertname": "InstanceDown", "service": svc.reference, "severity": severity, **labels},
            "annotations": {"summary": "Instance is down"},
            "startsAt": starts_at or started,
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else timezone.now().isoformat(),
            "generatorURL": "http://prometheus.local/graph?g0.expr=up",
            "fingerprint": fingerprint,
        }
        return {"version": "4", "groupKey": '{}:{alertname="InstanceDown"}', "status": status,
                "receiver": "ims", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                "externalURL": "http://alertmanager.local", "truncatedAlerts": 0,
                "alerts": [alert]}  # fmt: skip

    return build


def test_firing_opens_one_incident(intake, webhook):
    response = intake.post(URL, webhook(), format="json")
    assert response.status_code == 200, response.content
    [result] = response.json()["firing"]
    assert result["status"] == 201 and result["event"]["outcome"] == "opened"
    incident = Incident.objects.get()
    assert incident.detection_source == "monitoring_tool" and incident.title.startswith(
        "InstanceDown on Email"
    )
    assert Event.objects.get().event_id.startswith("am:f1:")


def test_a_retry_is_idempotent(intake, webhook):
    intake.post(URL, webhook(), format="json")
    before = (Event.objects.count(), AuditEvent.objects.count())
    [result] = intake.post(URL, webhook(), format="json").json()["firing"]
    assert result["status"] == 200
    assert (Event.objects.count(), AuditEvent.objects.count()) == before


def test_firing_again_adds_to_the_same_incident(intake, webhook):
    intake.post(URL, webhook(), format="json")
    later = (timezone.now().replace(microsecond=0)).isoformat()
    [result] = intake.post(URL, webhook(fingerprint="f2", starts_at=later), format="json").json()["firing"]
    assert result["event"]["outcome"] == "attached"
    assert Incident.objects.count() == 1 and IncidentAlert.objects.get().count == 2


def test_resolved_records_alert_cleared_and_does_not_resolve(intake, webhook):
    intake.post(URL, webhook(), format="json")
    incident = Incident.objects.get()
    response = intake.post(URL, webhook(status="resolved"), format="json")
    assert response.json() == {"firing": [], "cleared": [incident.reference]}
    incident.refresh_from_db()
    assert incident.status == "open"
    assert IncidentAlert.objects.get().cleared_at is not None
    note = Communication.objects.filter(subject_ref=incident.reference, kind="comment").get()
    assert note.message.startswith("Alert cleared: ")
    notify = AuditEvent.objects.filter(ref_id=incident.reference, domain_action="notify")
    assert [e.additional_data.get("alert_cleared") for e in notify if e.actor_id] == [
        IncidentAlert.objects.get().dedup_key
    ]
    # the resolved notification retried: cleared once
    before = (Communication.objects.count(), AuditEvent.objects.count())
    assert intake.post(URL, webhook(status="resolved"), format="json").json()["cleared"] == []
    assert (Communication.objects.count(), AuditEvent.objects.count()) == before


def test_a_warning_is_stored_only(intake, webhook):
    [result] = intake.post(URL, webhook(severity="warning"), format="json").json()["firing"]
    assert result["event"]["severity"] == "medium" and result["event"]["outcome"] == "stored"
    assert Incident.objects.count() == 0


def test_an_alert_without_a_known_service_answers_per_alert(intake, webhook):
    [result] = intake.post(URL, webhook(service="SVC-424242"), format="json").json()["firing"]
    assert result["status"] == 400 and result["error"]["fields"] == {
        "service": ["Unknown or inactive service."]
    }
    assert Event.objects.count() == 0


def test_a_resolved_alert_never_seen_clears_nothing(intake, webhook):
    response = intake.post(URL, webhook(status="resolved"), format="json")
    assert response.json() == {"firing": [], "cleared": []} and Communication.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [({"version": "4"}, "An Alertmanager webhook (version 4) carries alerts[]."),
     ({"version": "3", "alerts": []}, "Alertmanager webhook version 3; this receiver reads version 4.")],
)  # fmt: skip
def test_a_malformed_webhook_is_refused(intake, body, message):
    response = intake.post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"] == message


def test_only_posters_may_call_it(api, people, webhook):
    response = api(people.l2).post(URL, webhook(), format="json")
    assert response.status_code == 403 and Event.objects.count() == 0
    assert api(people.im).post(URL, webhook(), format="json").status_code == 200


def test_an_intake_token_may_not_get_it(intake):
    assert intake.get(URL).status_code == 403

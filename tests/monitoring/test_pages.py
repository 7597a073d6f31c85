"""The events pages, the navigation entry, and the admin (rules audited, records read-only)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from monitoring.models import IntakeRule
from monitoring.services import events_ingest

pytestmark = pytest.mark.django_db


def test_the_list_shows_events_with_the_api_filters(client, people, event):
    events_ingest(actor=people.im, items=[event(severity="low", summary="disk almost full"),
                                          event(alert_type="Down")])  # fmt: skip
    client.force_login(people.analyst)
    page = client.get(reverse("monitoring-events"))
    assert page.status_code == 200
    assert page.content.decode().count('<tr data-ref="EVT-') == 2
    filtered = client.get(reverse("monitoring-events"), {"severity": "low"}).content.decode()
    assert filtered.count('<tr data-ref="EVT-') == 1 and "disk almost full" in filtered
    assert "1 event" in client.get(reverse("monitoring-events"), {"q": "disk"}).content.decode()
    assert (
        "Some filters are invalid"
        in client.get(reverse("monitoring-events"), {"severity": "x"}).content.decode()
    )


def test_the_detail_shows_the_event_its_incident_and_timeline(client, people, event):
    [r] = events_ingest(actor=people.im, items=[event()])
    client.force_login(people.analyst)
    html = client.get(reverse("monitoring-event", args=[r.event.reference])).content.decode()
    assert r.event.incident.reference in html and "Opened an incident" in html
    assert 'aria-label="Timeline"' in html and "create" in html


def test_end_users_are_refused(client, people, event):
    [r] = events_ingest(actor=people.im, items=[event(severity="low")])
    client.force_login(people.reporter)
    assert client.get(reverse("monitoring-events")).status_code == 403
    assert client.get(reverse("monitoring-event", args=[r.event.reference])).status_code == 403


def test_an_unknown_event_is_not_found(client, people):
    client.force_login(people.analyst)
    assert client.get(reverse("monitoring-event", args=["EVT-999999"])).status_code == 404


def test_navigation_names_events_for_staff_only(client, people):
    client.force_login(people.analyst)
    assert reverse("monitoring-events") in client.get(reverse("home"), follow=True).content.decode()
    client.force_login(people.reporter)
    assert reverse("monitoring-events") not in client.get(reverse("home"), follow=True).content.decode()


@pytest.mark.parametrize("name", ["monitoring-events", "monitoring-event"])
def test_page_queries_do_not_grow_with_rows(client, people, event, name):
    client.force_login(people.analyst)

    def cost(n):
        refs = [r.event.reference for r in events_ingest(actor=people.im, items=[event() for _ in range(n)])]
        url = reverse(name, args=[refs[-1]] if name == "monitoring-event" else [])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    assert cost(5) == cost(50)


def test_an_incident_manager_edits_a_rule_in_the_admin_audited(client, people):
    client.force_login(people.im)
    response = client.post(
        reverse("admin:monitoring_intakerule_add"),
        {"name": "disk", "priority": 5, "is_active": "on", "alert_type": "DiskFull", "severity": "medium",
         "opens_incident": "on", "category": "hardware", "impact": "medium", "urgency": "medium"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    rule = IntakeRule.objects.get(name="disk")
    (created,) = AuditEvent.objects.filter(ref_id="rule:disk")
    assert created.domain_action == "create"
    client.post(
        reverse("admin:monitoring_intakerule_change", args=[rule.pk]),
        {"name": "disk", "priority": 5, "is_active": "on", "alert_type": "DiskFull", "severity": "medium",
         "opens_incident": "on", "category": "hardware", "impact": "high", "urgency": "medium"},
    )  # fmt: skip
    updated = AuditEvent.objects.filter(ref_id="rule:disk", domain_action="update").get()
    assert updated.changes == {"impact": ["medium", "high"]}


def test_events_are_read_only_in_the_admin(client, people, event):
    [r] = events_ingest(actor=people.im, items=[event(severity="low")])
    client.force_login(people.admin)
    assert client.get(reverse("admin:monitoring_event_changelist")).status_code == 200
    assert client.get(reverse("admin:monitoring_event_add")).status_code == 403
    page = client.get(reverse("admin:monitoring_event_change", args=[r.event.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    client.force_login(people.analyst)
    assert client.get(reverse("admin:monitoring_intakerule_changelist")).status_code in (302, 403)


def test_an_admin_issues_an_intake_token_in_the_admin(client, people, intake_user):
    from accounts.models import ApiToken

    client.force_login(people.admin)
    response = client.post(reverse("admin:accounts_apitoken_add"),
                           {"user": intake_user.pk, "name": "alertmanager", "scope": "intake"})  # fmt: skip
    assert response.status_code == 302
    assert ApiToken.objects.get(user=intake_user).scope == "intake"
    created = AuditEvent.objects.get(ref_type="api_token", ref_id=intake_user.username)
    assert created.changes["scope"] == [None, "intake"]


def test_the_incident_shows_its_alerts_and_whether_they_cleared(api, client, people, event):
    [r] = events_ingest(actor=people.im, items=[event()])
    events_ingest(actor=people.im, items=[event()])
    inc = r.event.incident
    [alert] = api(people.analyst).get(f"/api/v1/incidents/{inc.reference}/").json()["monitoring_alerts"]
    assert (alert["count"], alert["cleared"]) == (2, False)
    client.force_login(people.analyst)
    html = client.get(reverse("incident-page", args=[inc.reference])).content.decode()
    assert 'data-testid="monitoring-panel"' in html and "still firing" in html
    assert api(people.reporter).get(f"/api/v1/incidents/{inc.reference}/").json().get(
        "monitoring_alerts"
    ) in (
        None,
        [],
    )


@pytest.mark.parametrize("kind", ["api", "page"])
def test_the_incident_detail_costs_the_same_whatever_its_alerts(api, client, people, event, kind):
    [r] = events_ingest(actor=people.im, items=[event()])
    inc = r.event.incident
    api_client = api(people.analyst)
    client.force_login(people.analyst)
    url = (
        f"/api/v1/incidents/{inc.reference}/"
        if kind == "api"
        else reverse("incident-page", args=[inc.reference])
    )
    get = api_client.get if kind == "api" else client.get

    def cost():
        get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert get(url).status_code == 200
        return len(ctx)

    one = cost()
    from monitoring.models import IncidentAlert

    at = inc.created_at
    IncidentAlert.objects.bulk_create(
        [IncidentAlert(incident=inc, dedup_key=f"extra{i}", first_seen=at, last_seen=at) for i in range(30)]
    )
    assert cost() == one

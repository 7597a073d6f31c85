"""Tool usage in the browser: the incident page's panel (the record link exactly for those
who may), the record form (success, a refusal shown once beside it), the list page with the
API's filters, the navigation entry, and the read-only admin."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from tooling.models import ToolUsage

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_incident_page_offers_recording_exactly_to_those_who_may(people, make, usage):
    incident = make("in_progress", team="L2")
    recorded = usage(incident, action_summary="Checked the graphs.")
    url = f"/incidents/{incident.reference}/"
    for user, offered in ((people.l2, True), (people.im, True), (people.l1, False), (people.analyst, False)):
        text = browser(user).get(url).content.decode()
        assert f'data-tool-usage="{recorded.reference}"' in text
        assert ('data-testid="record-tool-usage"' in text) is offered, user.username
    assert 'data-testid="tool-usages"' not in browser(people.reporter).get(url).content.decode()


def test_recording_from_the_page(people, make):
    incident = make("in_progress", team="L2")
    client = browser(people.l2)
    form_url = f"/incidents/{incident.reference}/tool-usages/new/"
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"tool": "monitoring", "outcome": "noted", "action_summary": "Looked."})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.reference}/"
    usage = ToolUsage.objects.get()
    assert (usage.executor, usage.action_summary) == (people.l2, "Looked.")
    page = client.get(f"/incidents/{incident.reference}/").content.decode()
    assert f'data-tool-usage="{usage.reference}"' in page


def test_a_refusal_is_shown_once_beside_the_form_and_writes_nothing(people, make):
    incident = make("in_progress", team="L2")
    before = AuditEvent.objects.count()
    response = browser(people.l2).post(
        f"/incidents/{incident.reference}/tool-usages/new/",
        {"tool": "monitoring", "outcome": "noted", "action_summary": "  "},
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert text.count("Say what was done with the tool (action_summary).") == 1
    assert (ToolUsage.objects.count(), AuditEvent.objects.count()) == (0, before)


def test_the_form_is_refused_to_those_who_may_not_record(people, make):
    incident = make("in_progress", team="L1")
    response = browser(people.l2).get(f"/incidents/{incident.reference}/tool-usages/new/")
    assert response.status_code == 403
    assert "only while it is assigned to your team" in response.content.decode()
    response = browser(people.l2).post(
        f"/incidents/{incident.reference}/tool-usages/new/",
        {"tool": "monitoring", "outcome": "noted", "action_summary": "x"},
    )
    assert response.status_code == 403 and ToolUsage.objects.count() == 0
    assert (
        browser(people.other_user).get(f"/incidents/{incident.reference}/tool-usages/new/").status_code == 404
    )


def test_the_list_page_filters_as_the_api_does(people, make, usage):
    a = usage(make("open"), tool="monitoring", action_summary="Checked Grafana")
    b = usage(make("open"), tool="AIOps", outcome="failed", action_summary="Correlation")
    client = browser(people.im)
    text = client.get("/tool-usages/").content.decode()
    assert a.reference in text and b.reference in text
    assert 'data-testid="automation-candidates"' in text
    text = client.get("/tool-usages/?tool=AIOps").content.decode()
    assert b.reference in text and a.reference not in text
    text = client.get("/tool-usages/?q=grafana").content.decode()
    assert a.reference in text and b.reference not in text
    assert "Some filters are invalid" in client.get("/tool-usages/?tool=bogus").content.decode()


def test_automation_candidates_are_listed_for_incident_managers(people, make, usage):
    script = {"tool": "automation_script", "outcome": "applied", "action_summary": "Ran fix.sh"}
    used = [usage(make("open"), **script) for _ in range(3)]
    text = browser(people.im).get("/tool-usages/?automation_candidate=true").content.decode()
    assert "<h1>Automation candidates</h1>" in text
    assert used[2].reference in text and used[0].reference not in text
    assert (
        'data-testid="automation-candidates"' not in browser(people.l2).get("/tool-usages/").content.decode()
    )


def test_navigation_and_access(people):
    assert 'href="/tool-usages/"' in browser(people.l2).get("/incidents/").content.decode()
    assert browser(people.reporter).get("/tool-usages/").status_code == 404


def test_the_admin_is_read_only(people, make, usage):
    recorded = usage(make("open"))
    client = browser(people.admin)
    assert client.get("/admin/tooling/toolusage/").status_code == 200
    change = client.get(f"/admin/tooling/toolusage/{recorded.pk}/change/")
    assert change.status_code == 200
    assert 'name="action_summary"' not in change.content.decode()
    assert client.get("/admin/tooling/toolusage/add/").status_code == 403

"""The tool usage API: create (201, the detail), refusals in the error envelope (nothing
written), the list's filters, ``?q=`` and pagination, and the detail."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from tests.helpers import assert_error
from tooling.models import ToolUsage

pytestmark = pytest.mark.django_db
URL = "/api/v1/tool-usages/"


def body(incident, **kw):
    return {
        "incident": getattr(incident, "reference", incident),
        "tool": "incident_response",
        "outcome": "applied",
        "action_summary": "Failed over to the standby.",
        **kw,
    }


def test_create_answers_201_with_the_detail(people, make, api):
    incident = make("in_progress", team="L2")
    response = api(people.l2).post(URL, body(incident), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"].startswith("TOOL-")
    assert {k: data[k] for k in ("incident", "tool", "outcome", "executor", "automation_candidate")} == {
        "incident": incident.reference,
        "tool": "incident_response",
        "outcome": "applied",
        "executor": people.l2.username,
        "automation_candidate": False,
    }
    assert data["allowed_actions"] == []
    assert response["ETag"] == '"1"'
    assert api(people.l2).get(f"{URL}{data['id']}/").json()["id"] == data["id"]


def test_refusals_are_in_the_envelope_and_write_nothing(people, make, api):
    other = make("in_progress", team="L1")
    closed = make("closed")
    before = (ToolUsage.objects.count(), AuditEvent.objects.count())
    assert_error(
        api(people.l2).post(URL, body(other), format="json"),
        403,
        "permission_denied",
        f"You may record tool usage on {other.reference} only while it is assigned to your team; "
        "it is assigned to L1.",
    )
    assert_error(
        api(people.im).post(URL, body(closed), format="json"),
        409,
        "invalid_transition",
        contains=f"{closed.reference} is closed",
    )
    assert_error(
        api(people.im).post(URL, body(other, action_summary=" "), format="json"),
        400,
        "validation_error",
        "Say what was done with the tool (action_summary).",
    )
    error = assert_error(
        api(people.im).post(URL, body(other, tool="hammer"), format="json"), 400, "validation_error"
    )
    assert "tool" in error["fields"]
    assert_error(
        api(people.im).post(URL, body("INC-999999"), format="json"),
        404,
        "not_found",
        "Incident INC-999999 was not found.",
    )
    assert_error(api(people.im).post(URL, body(other, incident_version=1), format="json"), 409, "conflict")
    assert_error(api(None).post(URL, body(other), format="json"), 401, "not_authenticated")
    assert (ToolUsage.objects.count(), AuditEvent.objects.count()) == before


def test_an_unknown_usage_is_not_found(people, api):
    assert_error(
        api(people.im).get(f"{URL}TOOL-999999/"), 404, "not_found", "Tool usage TOOL-999999 was not found."
    )


def test_filters_q_and_pagination(people, make, usage, api):
    first, second = make("open"), make("open")
    a = usage(first, tool="monitoring", outcome="noted", action_summary="Checked Grafana")
    b = usage(second, tool="AIOps", outcome="failed", action_summary="Correlation missed it")
    script = {"tool": "automation_script", "outcome": "applied", "action_summary": "Ran fix.sh"}
    scripts = [usage(make("open"), **script) for _ in range(3)]
    ToolUsage.objects.filter(pk=a.pk).update(created_at=timezone.now() - timedelta(days=2))
    client = api(people.im)

    def ids(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"?incident={first.reference}") == {a.reference}
    assert ids("?tool=AIOps") == {b.reference}
    assert ids("?outcome=failed&outcome=noted") == {a.reference, b.reference}
    assert ids("?automation_candidate=true") == {scripts[2].reference}
    assert ids("?q=grafana") == {a.reference}
    assert ids(f"?q={b.reference}") == {b.reference}
    cut = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"?created_before={cut}") == {a.reference}
    assert a.reference not in ids(f"?created_after={cut}")
    page = client.get(URL + "?page_size=2").json()
    assert (page["count"], len(page["results"])) == (5, 2)
    assert_error(client.get(URL + "?tool=bogus"), 400, "validation_error")


@pytest.mark.parametrize("where", ["api list", "api detail", "page"])
def test_a_security_incident_shown_through_its_usages_is_read_and_audited(people, make, usage, api, where):
    incident = make("in_progress", team="L3", category="security")
    recorded = usage(incident)
    reads = AuditEvent.objects.filter(ref_id=incident.reference, domain_action="read")
    assert reads.count() == 0
    if where == "page":
        client = Client()
        client.force_login(people.l3)
        assert client.get("/tool-usages/").status_code == 200
    else:
        url = URL if where == "api list" else f"{URL}{recorded.reference}/"
        assert api(people.l3).get(url).status_code == 200
    assert [(e.actor, e.additional_data) for e in reads] == [(people.l3, {"via": "tool_usage"})]

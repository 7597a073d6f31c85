"""The change API (API.md): the collection with its filters and pagination, create (201),
the detail with allowed_actions and ETag, one POST per operation, the incident's
link-change/, and every refusal as the error envelope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from catalog.models import Service
from changes.models import Change
from tests.changes.factories import window
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
ROLLBACK_REQUIRED = "This field is required for normal and emergency changes."
LINK_REFUSED = "{ref} is {state}; only an approved, standard or emergency-implemented change can be linked."


def _iso(at) -> str:
    return at.isoformat()


def _create(client, svc, **kw):
    start, end = window()
    body = {
        "summary": "Upgrade the mail relay", "type": "normal", "risk": "medium",
        "implementation_window": {"start": _iso(start), "end": _iso(end)},
        "rollback_plan": "Reinstall 2.3.", "affected_services": [svc.reference],
    }  # fmt: skip
    body.update(kw)
    return client.post("/api/v1/changes/", body, format="json")


def test_create_answers_201_with_the_detail(api, cast, svc):
    response = _create(api(cast.analyst), svc, description="TLS fix.")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] == "CHG-000001" and body["status"] == "pending" and body["version"] == 1
    assert response["ETag"] == '"1"'
    assert body["requester"] == cast.analyst.username and body["affected_services"] == [svc.reference]
    assert set(body["implementation_window"]) == {"start", "end"}
    assert body["allowed_actions"] == []  # a pending normal change waits for the CAB
    assert body["incidents"] == [] and body["articles"] == [] and body["approver"] is None
    for key in ("created_at", "updated_at", "description", "rollback_plan", "cab_bypassed", "success"):
        assert key in body


def test_the_window_may_be_given_as_two_fields(api, cast, svc):
    start, end = window()
    response = _create(
        api(cast.analyst), svc, implementation_window=None, window_start=_iso(start), window_end=_iso(end)
    )
    assert response.status_code == 201, response.json()
    change = Change.objects.get()
    assert (change.window_start, change.window_end) == (start, end)


def test_the_window_is_given_one_way_only(api, cast, svc):
    start, _ = window()
    response = _create(api(cast.analyst), svc, window_start=_iso(start))
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {
        "implementation_window": ["Give implementation_window or window_start/window_end, not both."]
    }
    assert not Change.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"type": "minor"}, {"type": ['"minor" is not a valid choice.']}),
        ({"priority": "P1"}, {"priority": [
            "Unknown field; this operation accepts: summary, description, type, risk, incident, "
            "implementation_window, window_start, window_end, rollback_plan, affected_services, articles."]}),
        ({"rollback_plan": ""}, {"rollback_plan": [ROLLBACK_REQUIRED]}),
    ],
)  # fmt: skip
def test_create_refusals_are_the_envelope(api, cast, svc, body, fields):
    error = assert_error(_create(api(cast.analyst), svc, **body), 400, "validation_error")
    assert error["fields"] == fields
    assert not Change.objects.exists() and not AuditEvent.objects.filter(ref_type="change").exists()


def test_roles_that_may_not_request_are_refused(api, cast, svc):
    assert_error(
        _create(api(cast.auditor), svc), 403, "permission_denied", "Your role may not request changes."
    )
    assert_error(_create(api(), svc), 401, "not_authenticated")


def test_create_for_an_incident_links_it(api, cast, make, svc):
    incident = make("in_progress")
    body = _create(api(cast.analyst), svc, incident=incident.reference).json()
    assert body["incidents"] == [
        {"id": incident.reference, "title": incident.title, "status": "in_progress", "relation": "raised_for",
         "linked_by": cast.analyst.username, "linked_at": body["incidents"][0]["linked_at"]}
    ]  # fmt: skip


# ---- detail and actions -----------------------------------------------------------------
def test_the_detail_offers_exactly_the_viewers_operations(api, cast, chg):
    change = chg("pending", type="emergency")
    url = f"/api/v1/changes/{change.reference}/"
    assert api(cast.cm).get(url).json()["allowed_actions"] == ["approve", "reject"]
    assert api(cast.im).get(url).json()["allowed_actions"] == ["implement"]  # the CAB bypass
    assert api(cast.analyst).get(url).json()["allowed_actions"] == []
    assert api(cast.auditor).get(url).json()["allowed_actions"] == []
    assert_error(api(cast.reporter).get(url), 404, "not_found", f"Change {change.reference} was not found.")


def test_a_change_from_request_to_closure(api, cast, svc, make):
    """The walk-through of the report: requested, approved by the CAB, linked to the incident it
    fixes, implemented, closed with its outcome — each answer the change as it now is."""
    incident = make("in_progress")
    requester, cab = api(cast.analyst), api(cast.cm)
    created = _create(requester, svc)
    ref = created.json()["id"]
    approved = cab.post(f"/api/v1/changes/{ref}/approve/", {"comment": "Go.", "version": 1}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approver"] == cast.cm.username and approved["ETag"] == '"2"'
    linked = requester.post(
        f"/api/v1/incidents/{incident.reference}/link-change/", {"change": ref}, format="json"
    )
    assert linked.status_code == 200, linked.json()
    assert linked.json()["id"] == incident.reference and "link_change" in linked.json()["allowed_links"]
    assert linked.json()["changes"][0] | {"linked_at": None} == {
        "id": ref, "summary": "Upgrade the mail relay", "type": "normal", "status": "approved",
        "relation": "fixes", "linked_at": None,
    }  # fmt: skip
    implemented = requester.post(f"/api/v1/changes/{ref}/implement/", {"note": "Rolled out."}, format="json")
    assert implemented.json()["status"] == "implemented" and implemented.json()["allowed_actions"] == [
        "close"
    ]
    closed = requester.post(f"/api/v1/changes/{ref}/close/", {"success": True}, format="json")
    body = closed.json()
    assert (body["status"], body["success"], body["version"], body["allowed_actions"]) == (
        "closed",
        True,
        5,
        [],
    )
    assert [i["relation"] for i in body["incidents"]] == ["fixes"]
    trail = api(cast.auditor).get(f"/api/v1/audit/?ref={ref}").json()["results"]
    assert sorted(e.get("action") or e.get("domain_action") for e in trail) == sorted(
        ["create", "approve", "link", "update", "close"]
    )


def test_action_refusals_are_the_envelope(api, cast, chg):
    change = chg("pending", requester=cast.cm)
    ref = change.reference
    assert_error(
        api(cast.cm).post(f"/api/v1/changes/{ref}/approve/", {}, format="json"), 403, "segregation_of_duties",
        f"You requested {ref}; another change manager must approve it.",
    )  # fmt: skip
    error = assert_error(
        api(cast.cm2).post(f"/api/v1/changes/{ref}/reject/", {}, format="json"), 400, "validation_error"
    )
    assert error["fields"] == {"reason": ["This field is required."]}
    assert_error(
        api(cast.cm2).post(f"/api/v1/changes/{ref}/approve/", {}, format="json", HTTP_IF_MATCH='"9"'),
        409,
        "conflict",
        f"{ref} changed since you loaded it (version 9, now 1). Reload it and try again.",
    )
    assert_error(
        api(cast.cm2).post(f"/api/v1/changes/{ref}/close/", {"success": True}, format="json"), 409,
        "invalid_transition", f"{ref} is pending; only a change that is implemented can be closed.",
    )  # fmt: skip
    error = assert_error(
        api(cast.cm2).post(f"/api/v1/changes/{ref}/close/", {}, format="json"), 400, "validation_error"
    )
    assert error["fields"] == {"success": ["This field is required."]}
    assert_error(
        api(cast.cm2).post("/api/v1/changes/CHG-999999/approve/", {}, format="json"),
        404,
        "not_found",
        "Change CHG-999999 was not found.",
    )
    assert Change.objects.get(pk=change.pk).version == 1


# ---- link-change/ -----------------------------------------------------------------------
@pytest.mark.parametrize("state", ["pending", "rejected"])
def test_link_change_of_a_change_not_approved_is_412(api, cast, chg, make, state):
    incident, change = make("in_progress"), chg(state)
    response = api(cast.analyst).post(
        f"/api/v1/incidents/{incident.reference}/link-change/", {"change": change.reference}, format="json"
    )
    assert_error(
        response, 412, "precondition_failed",
        LINK_REFUSED.format(ref=change.reference, state=state),
    )  # fmt: skip


def test_link_change_refusals(api, cast, chg, make):
    incident, change = make("in_progress"), chg("implemented")
    url = f"/api/v1/incidents/{incident.reference}/link-change/"
    client = api(cast.im)
    assert (
        client.post(url, {"change": change.reference, "relation": "caused_by"}, format="json").status_code
        == 200
    )
    error = assert_error(
        client.post(url, {"change": chg("closed").reference, "relation": "caused_by"}, format="json"),
        409,
        "duplicate",
    )
    assert error["fields"] == {"existing": change.reference}
    error = assert_error(
        client.post(url, {"change": change.reference, "relation": "blamed"}, format="json"),
        400,
        "validation_error",
    )
    assert error["fields"] == {"relation": ['"blamed" is not a valid choice.']}
    assert_error(
        api(cast.other_user).post(url, {"change": change.reference}, format="json"), 404, "not_found",
        f"Incident {incident.reference} was not found.",
    )  # fmt: skip
    assert_error(
        client.post(url, {"change": change.reference, "version": 1}, format="json"), 409, "conflict",
    )  # fmt: skip


def test_the_incident_detail_carries_its_changes_and_the_enrichment(api, cast, chg, make, svc):
    core = Service.objects.create(name="Directory")
    svc.depends_on.add(core)
    incident = make("in_progress")
    neighbour = make("open", service=core)
    recent = chg("implemented", affected_services=[core.reference])
    body = api(cast.analyst).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert body["changes"] == [] and "link_change" in body["allowed_links"]  # (and the other apps')
    assert [c["id"] for c in body["recent_changes"]] == [recent.reference]
    assert body["recent_changes"][0]["affected_services"] == [core.reference]
    assert [i["id"] for i in body["related_incidents"]] == [neighbour.reference]
    mine = api(cast.reporter).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert (mine["changes"], mine["recent_changes"], mine["related_incidents"], mine["allowed_links"]) == (
        [],
        [],
        [],
        [],
    )


# ---- the collection ---------------------------------------------------------------------
def test_the_list_is_paginated_and_filtered_like_the_api_says(api, cast, chg, svc):
    other = Service.objects.create(name="Payroll")
    pending = chg("pending")
    approved = chg("approved", affected_services=[other.reference], summary="Rotate payroll keys")
    standard = chg("standard", risk="low", requester=cast.l2)
    client = api(cast.analyst)

    def ids(query=""):
        response = client.get(f"/api/v1/changes/{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    body = client.get("/api/v1/changes/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"] and body["previous"] is None
    assert ids() == [standard.reference, approved.reference, pending.reference]
    assert ids("?status=pending") == [pending.reference]
    assert ids("?status=pending&status=approved&type=normal") == [approved.reference, pending.reference]
    assert ids("?type=standard") == [standard.reference]
    assert ids("?risk=low") == [standard.reference]
    assert ids(f"?affected_service={other.reference}") == [approved.reference]
    assert ids(f"?requester={cast.l2.username}") == [standard.reference]
    assert ids("?q=payroll") == [approved.reference]
    assert ids(f"?q={pending.reference.lower()}") == [pending.reference]
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert ids(f"?created_before={later.replace('+', '%2B')}") == ids()
    assert ids(f"?created_after={later.replace('+', '%2B')}") == []
    assert ids("?ordering=created_at") == [pending.reference, approved.reference, standard.reference]
    error = assert_error(client.get("/api/v1/changes/?status=done"), 400, "validation_error")
    assert "status" in error["fields"]
    assert api(cast.reporter).get("/api/v1/changes/").json()["count"] == 0


def test_a_filtered_list_is_an_identify_event_with_only_the_filters(api, cast, chg, client):
    chg("pending")
    api(cast.analyst).get("/api/v1/changes/")  # the plain list is not a lookup
    api(cast.analyst).get("/api/v1/changes/?page_size=5&ordering=created_at")  # nor paging and order
    assert not AuditEvent.objects.filter(domain_action="identify").exists()
    api(cast.analyst).get("/api/v1/changes/?status=pending&q=relay&page=1")
    client.force_login(cast.cm)
    client.get("/changes/?type=normal")
    api_event, page_event = AuditEvent.objects.filter(domain_action="identify").order_by("seq")
    assert (api_event.ref_type, api_event.actor_label) == ("change", cast.analyst.username)
    assert api_event.additional_data == {"via": "api", "filters": {"status": "pending", "q": "relay"}}
    assert page_event.additional_data == {"via": "page", "filters": {"type": "normal"}}

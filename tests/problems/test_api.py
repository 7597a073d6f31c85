"""The problem API (API.md): create 201, list with filters, ``q`` and pages, the detail with
incidents, articles and ``allowed_actions``, PATCH, one POST per operation, the incident's
``link-problem/``, and every refusal in the one envelope."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from catalog.models import Service
from problems.models import Problem, ProblemIncident
from tests.helpers import assert_error

URL = "/api/v1/problems/"


def test_a_problem_from_creation_to_closure_over_the_api(api, people, svc, make):
    incident = make("in_progress")
    desk, manager = api(people.analyst), api(people.im)
    new = {"title": "Mail stuck in outbox", "description": "Outbox grows for many users.",
           "affected_service": svc.reference, "incidents": [incident.reference]}  # fmt: skip
    created = desk.post(URL, new, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    ref = body["id"]
    assert (body["status"], body["version"], body["affected_service"], body["created_by"]) == (
        "new", 1, svc.reference, people.analyst.username
    )  # fmt: skip
    assert [i["id"] for i in body["incidents"]] == [incident.reference]
    assert body["allowed_actions"] == ["update", "start_investigation", "link_incident"]
    assert created["ETag"] == '"1"'

    step = desk.post(f"{URL}{ref}/start-investigation/", {"version": 1}, format="json")
    assert (step.status_code, step.json()["status"]) == (200, "under_investigation")
    step = desk.post(
        f"{URL}{ref}/record-workaround/",
        {"symptom": "Outbox grows.", "root_cause": "Relay queue stuck.", "workaround": "Restart the relay."},
        format="json",
    )
    body = step.json()
    assert (step.status_code, body["status"], body["is_known_error"]) == (200, "known_error", True)
    [article] = body["articles"]
    assert (article["type"], article["status"]) == ("workaround", "in_review")
    assert "resolve" not in body["allowed_actions"]  # the desk does not resolve problems

    fix = {"fix_summary": "Relay patched.", "validation_evidence": "No stall under load."}
    step = manager.post(f"{URL}{ref}/resolve/", fix, format="json")
    body = step.json()
    assert (step.status_code, body["status"]) == (200, "resolved")
    assert body["stability_window_ends_at"] is not None
    early = manager.post(f"{URL}{ref}/close/", {"closure_notes": "Held."}, format="json")
    assert_error(
        early, 412, "precondition_failed", contains="once its fix has held for the 7-day stability window"
    )
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        closed = manager.post(f"{URL}{ref}/close/", {"closure_notes": "Held a week."}, format="json")
    body = closed.json()
    assert (closed.status_code, body["status"], body["allowed_actions"]) == (200, "closed", [])
    actions = list(
        AuditEvent.objects.filter(ref_id=ref).order_by("seq").values_list("domain_action", flat=True)
    )
    assert actions == ["create", "update", "update", "resolve", "close"]


# ---- create -----------------------------------------------------------------------------
def test_a_duplicate_is_a_409_naming_the_existing_problem(api, people, svc):
    client = api(people.l1)
    first = client.post(
        URL, {"title": "VPN drops hourly", "affected_service": svc.reference}, format="json"
    ).json()
    again = client.post(URL, {"title": "vpn drops hourly", "affected_service": svc.reference}, format="json")
    error = assert_error(again, 409, "duplicate", contains=f"already covers this: {first['id']}")
    assert error["fields"] == {"existing": [first["id"]]}
    assert Problem.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"affected_service": "SVC-000001"}, "title", "A problem needs a title."),
        ({"title": "T"}, "affected_service", "A problem needs the affected_service it lies in."),
        ({"title": "T", "affected_service": "SVC-000001", "status": "closed"}, "status", None),
        ({"title": "T", "affected_service": "SVC-000001", "incidents": "INC-1"}, "incidents", None),
    ],
)
def test_create_refusals(api, people, svc, body, field, message):
    response = api(people.analyst).post(URL, body, format="json")
    error = assert_error(response, 400, "validation_error", message)
    assert field in error["fields"]
    assert not Problem.objects.exists()


def test_who_may_not_create_is_told_so(api, people, svc):
    body = {"title": "T", "affected_service": svc.reference}
    assert_error(api(people.auditor).post(URL, body, format="json"), 403, "permission_denied",
                 "Your role may not raise problems.")  # fmt: skip
    assert_error(api(None).post(URL, body, format="json"), 401, "not_authenticated")


# ---- list ---------------------------------------------------------------------------------
def test_the_list_pages_and_filters(api, people, problem, make, svc):
    other = Service.objects.create(name="Printing")
    incident = make("open")
    with time_machine.travel("2026-01-10 10:00Z"):
        old = problem("new", title="Old printer fault", service=other)
    newer = problem(
        "under_investigation", title="Mail relay stalls", incidents=[incident.reference], owner_team="L2"
    )
    done = problem("resolved", title="Disk full on archive")
    client = api(people.l1)

    def ids(query=""):
        response = client.get(URL + query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [done.reference, newer.reference, old.reference]
    page = client.get(URL + "?page_size=2").json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)
    assert ids("?status=new&status=resolved") == [done.reference, old.reference]
    assert ids(f"?affected_service={other.reference}") == [old.reference]
    assert ids("?created_before=2026-02-01T00:00:00Z") == [old.reference]
    assert ids("?created_after=2026-02-01T00:00:00Z") == [done.reference, newer.reference]
    assert ids("?q=stalls") == [newer.reference]
    assert ids("?q=relay") == [done.reference, newer.reference]  # its workaround: "Restart the relay."
    assert ids(f"?q={old.reference.lower()}") == [old.reference]
    assert ids(f"?incident={incident.reference}") == [newer.reference]
    assert ids("?owner_team=L2") == [newer.reference]
    row = client.get(URL + "?owner_team=L2").json()["results"][0]
    assert (row["incident_count"], row["owner_team"], row["status"]) == (1, "L2", "under_investigation")
    assert_error(client.get(URL + "?status=bogus"), 400, "validation_error")
    assert_error(client.get(URL + "?created_after=yesterday"), 400, "validation_error")


def test_end_users_see_no_problems(api, people, problem):
    prb = problem("new")
    client = api(people.reporter)
    assert client.get(URL).json()["count"] == 0
    assert_error(
        client.get(f"{URL}{prb.reference}/"), 404, "not_found", f"Problem {prb.reference} was not found."
    )


# ---- detail -----------------------------------------------------------------------------
def test_the_detail_lists_only_the_incidents_the_caller_may_see(api, people, problem, make):
    seen, secret = make("open"), make("open", category="security")
    prb = problem("new", incidents=[seen.reference, secret.reference])
    desk = api(people.analyst).get(f"{URL}{prb.reference}/").json()
    assert [i["id"] for i in desk["incidents"]] == [seen.reference]
    assert desk["restricted_incident_count"] == 1
    reads = AuditEvent.objects.filter(ref_id=secret.reference, domain_action="read")
    assert not reads.exists()
    l3 = api(people.l3).get(f"{URL}{prb.reference}/").json()
    assert [i["id"] for i in l3["incidents"]] == [seen.reference, secret.reference]
    assert l3["incidents"][0]["linked_by"] == people.im.username and l3["restricted_incident_count"] == 0
    # the L3 engineer read a security incident's title through the problem: audited
    [read] = reads
    assert (read.actor_label, read.additional_data) == (people.l3.username, {"via": "problem"})


def test_patch_updates_the_allowed_fields_and_refuses_the_governed_ones(api, people, problem):
    prb = problem("new")
    client = api(people.l2)
    url = f"{URL}{prb.reference}/"
    response = client.patch(
        url, {"title": "Relay stalls", "owner_team": "L2"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["version"], response["ETag"]) == (
        "Relay stalls",
        2,
        '"2"',
    )
    stale = client.patch(url, {"title": "Other", "version": 1}, format="json")
    assert_error(stale, 409, "conflict", f"{prb.reference} changed since you loaded it (version 1, now 2). "
                 "Reload it and try again.")  # fmt: skip
    governed = assert_error(client.patch(url, {"status": "closed", "workaround": "W"}, format="json"), 400,
                            "validation_error")  # fmt: skip
    assert governed["fields"] == {
        "status": ["Not changed here; use the start-investigation/ or resolve/ action."],
        "workaround": ["Not changed here; use the record-workaround/ action."],
    }
    assert_error(client.put(url, {"title": "X"}, format="json"), 405, "method_not_allowed")


def test_an_operation_the_state_does_not_allow_is_a_409(api, people, problem):
    prb = problem("new")
    fix = {"fix_summary": "F", "validation_evidence": "E"}
    response = api(people.im).post(f"{URL}{prb.reference}/resolve/", fix, format="json")
    message = (
        f"{prb.reference} is new; only a problem that is under_investigation or known_error can be resolved."
    )
    assert_error(response, 409, "invalid_transition", message)


def test_record_workaround_names_each_missing_field(api, people, problem):
    prb = problem("under_investigation")
    response = api(people.l1).post(f"{URL}{prb.reference}/record-workaround/", {}, format="json")
    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"symptom", "root_cause", "workaround"}


def test_close_refused_for_a_recurrence_names_the_incidents(api, people, problem, make):
    prb = problem("resolved")
    again = make("open")
    client = api(people.im)
    linked = client.post(f"{URL}{prb.reference}/link-incident/", {"incident": again.reference}, format="json")
    assert linked.status_code == 200 and [i["id"] for i in linked.json()["incidents"]] == [again.reference]
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        response = client.post(f"{URL}{prb.reference}/close/", {"closure_notes": "Done."}, format="json")
    error = assert_error(response, 412, "precondition_failed", contains=f"{again.reference} recurred")
    assert error["fields"] == {"recurring": [again.reference]}


# ---- the link, from both sides --------------------------------------------------------
def test_link_problem_on_the_incident_is_the_same_link(api, people, problem, make):
    prb, incident = problem("under_investigation"), make("in_progress")
    client = api(people.l1)
    url = f"/api/v1/incidents/{incident.reference}/link-problem/"
    stale = client.post(url, {"problem": prb.reference, "version": incident.version - 1}, format="json")
    assert_error(stale, 409, "conflict", contains=f"{incident.reference} changed since you loaded it")
    head = AuditEvent.objects.order_by("-seq").first().seq
    response = client.post(
        url, {"problem": prb.reference.lower(), "version": incident.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == incident.reference and body["version"] == incident.version + 1
    assert body["problems"] == [{"id": prb.reference, "title": prb.title, "status": "under_investigation"}]
    assert "link_problem" in body["allowed_links"]  # (the other apps add their own links)
    seen_from_problem = client.get(f"{URL}{prb.reference}/").json()["incidents"]
    assert [i["id"] for i in seen_from_problem] == [incident.reference]
    pair = AuditEvent.objects.filter(seq__gt=head).order_by("seq")
    assert [(e.ref_id, e.domain_action) for e in pair] == [
        (incident.reference, "link"),
        (prb.reference, "link"),
    ]
    twice = client.post(
        f"{URL}{prb.reference}/link-incident/", {"incident": incident.reference}, format="json"
    )
    assert_error(
        twice, 409, "duplicate", f"{incident.reference} is already linked to {prb.reference}; nothing to do."
    )
    assert ProblemIncident.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "body", "status", "code", "message"),
    [
        ("analyst", {"problem": ""}, 400, "validation_error", "Name the problem to link."),
        ("analyst", {"problem": "PRB-999999"}, 404, "not_found", "Problem PRB-999999 was not found."),
        ("analyst", {"problem": "{prb}", "extra": 1}, 400, "validation_error", None),
        ("reporter", {"problem": "{prb}"}, 404, "not_found", "Problem {prb} was not found."),
        ("auditor", {"problem": "{prb}"}, 403, "permission_denied",
         "Your role may not link incidents to {prb}."),
    ],
)  # fmt: skip
def test_link_problem_refusals(api, people, problem, make, who, body, status, code, message):
    prb, incident = problem("new"), make("open")
    body = {k: v.format(prb=prb.reference) if isinstance(v, str) else v for k, v in body.items()}
    response = api(getattr(people, who)).post(f"/api/v1/incidents/{incident.reference}/link-problem/", body,
                                              format="json")  # fmt: skip
    assert_error(response, status, code, message.format(prb=prb.reference) if message else None)
    assert not ProblemIncident.objects.exists()


def test_an_incident_the_caller_may_not_see_is_not_found_from_either_side(api, people, problem, make):
    prb, secret = problem("new"), make("open", category="security")
    client = api(people.analyst)
    link = {"problem": prb.reference}
    on_incident = client.post(f"/api/v1/incidents/{secret.reference}/link-problem/", link, format="json")
    assert_error(on_incident, 404, "not_found", f"Incident {secret.reference} was not found.")
    on_problem = client.post(
        f"{URL}{prb.reference}/link-incident/", {"incident": secret.reference}, format="json"
    )
    assert_error(on_problem, 404, "not_found", f"Incident {secret.reference} was not found.")


def test_the_incident_detail_lists_its_problems_for_staff_only(api, people, problem, make):
    incident = make("open")
    prb = problem("known_error", incidents=[incident.reference])
    staff = api(people.auditor).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert staff["problems"] == [{"id": prb.reference, "title": prb.title, "status": "known_error"}]
    assert staff["allowed_links"] == []  # auditors read
    reporter = api(people.reporter).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert (reporter["problems"], reporter["allowed_links"]) == ([], [])
    assert "link_problem" not in staff["allowed_actions"]


def test_a_malformed_if_match_is_a_400_naming_the_problems_version_and_changes_nothing(api, people, problem):
    """operations.api.expected_version: the shared viewset names the entity in the refusal."""
    prb = problem("new")
    response = api(people.im).post(
        f"{URL}{prb.reference}/start-investigation/", {}, format="json", HTTP_IF_MATCH='"one"'
    )
    assert_error(response, 400, "validation_error", "If-Match must be the problem's version number.")
    assert response.json()["error"]["fields"] == {"version": ["Bad If-Match."]}
    prb.refresh_from_db()
    assert (prb.status, prb.version) == ("new", 1)

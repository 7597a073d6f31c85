"""The PIR API (/api/v1/pirs/): create, list with filters, detail, PATCH, complete/ and the
action items, with the error envelope of API.md."""

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEvent
from reviews.models import Review
from tests.helpers import assert_error
from tests.reviews.conftest import tomorrow

PIRS = "/api/v1/pirs/"


def _body(of, **fields):
    return {
        "incident": of.reference,
        "timeline": "09:00 alert; 10:00 restored.",
        "contributing_factors": "Disk filled up.",
        "root_cause": "Log rotation off.",
        **fields,
    }


def test_an_incident_manager_files_a_pir(api, people, make, article):
    incident = make("resolved", priority="P1")
    response = api(people.im).post(
        PIRS,
        _body(incident, lessons="Watch disks.", kb_articles=[article.reference], action_items=[
            {"description": "Alert on disk", "owner": people.l2.username, "due_date": tomorrow().isoformat()},
            {"description": "Runbook"},
        ]),
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    review = Review.objects.get()
    assert response["ETag"] == '"1"'
    assert body["id"] == review.reference and body["incident"] == incident.reference
    assert (body["status"], body["version"], body["required_because"], body["author"]) == (
        "draft", 1, "high_priority", people.im.username
    )  # fmt: skip
    assert body["kb_articles"] == [article.reference] and body["lessons"] == "Watch disks."
    assert body["allowed_actions"] == ["update", "complete", "add_item", "update_item"]
    assert [
        (i["number"], i["owner"], i["due_date"], i["status"], i["overdue"]) for i in body["action_items"]
    ] == [
        (1, people.l2.username, tomorrow().isoformat(), "open", False),
        (2, None, None, "open", False),
    ]
    assert body["action_items"][0]["allowed_actions"] == ["done", "cancel", "edit"]
    assert {"created_at", "updated_at", "completed_at", "timeline", "root_cause"} <= set(body)


def test_create_refusals_answer_the_envelope(api, people, make, file_review):
    p1 = make("resolved", priority="P1")
    p4 = make("resolved", priority="P4", category="network")  # alone on its service and category
    busy = make("in_progress", priority="P1", category="hardware")
    analyst, im = api(people.analyst), api(people.im)
    assert_error(
        analyst.post(PIRS, _body(p1), format="json"), 403, "permission_denied",
        "Your role may not file post-incident reviews; only incident managers run PIRs.",
    )  # fmt: skip
    error = assert_error(im.post(PIRS, _body(p4), format="json"), 412, "precondition_failed")
    assert error["message"].startswith(f"{p4.reference} is a one-off P4 (")
    assert_error(
        im.post(PIRS, _body(busy), format="json"), 409, "invalid_transition",
        f"{busy.reference} is in_progress; its post-incident review starts once it is resolved or closed.",
    )  # fmt: skip
    error = assert_error(
        im.post(PIRS, {k: v for k, v in _body(p1).items() if k != "timeline"}, format="json"), 400,
        "validation_error", "Invalid input. timeline: This field is required.",
    )  # fmt: skip
    assert error["fields"] == {"timeline": ["This field is required."]}
    error = assert_error(
        im.post(PIRS, _body(p1, action_items=[{"description": "x", "owner": "ghost"}]), format="json"),
        400, "validation_error", "No active user ghost.",
    )  # fmt: skip
    assert error["fields"] == {"action_items.1.owner": ["No active user ghost."]}
    assert_error(
        im.post(PIRS, _body(p1, status="completed"), format="json"), 400, "validation_error",
        contains="status: Unknown field",
    )  # fmt: skip
    assert_error(
        im.post(PIRS, _body(p1, incident="INC-999999"), format="json"), 404, "not_found",
        "Incident INC-999999 was not found.",
    )  # fmt: skip
    assert not Review.objects.exists()
    first = file_review(p1)
    error = assert_error(im.post(PIRS, _body(p1), format="json"), 409, "duplicate")
    assert error["fields"] == {"existing": first.reference}


def test_list_filters_search_and_pages(api, people, make, file_review, make_user):
    other_im = make_user("incident_manager", team="incident_manager")
    first = file_review(make("resolved", priority="P1", title="Mail relay down"))
    second = file_review(make("closed", priority="P2", title="VPN flaps"), actor=other_im)
    client = api(people.analyst)
    everything = client.get(PIRS).json()
    assert everything["count"] == 2 and [r["id"] for r in everything["results"]] == [
        second.reference, first.reference
    ]  # fmt: skip
    row = everything["results"][1]
    assert (row["items_open"], row["items_overdue"], row["incident_title"]) == (1, 0, "Mail relay down")

    def ids(query):
        response = client.get(PIRS + query)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("?status=draft") == [second.reference, first.reference]
    assert ids("?status=completed") == []
    assert ids(f"?incident={first.incident.reference}") == [first.reference]
    assert ids(f"?author={other_im.username}") == [second.reference]
    assert ids("?q=vpn") == [second.reference]
    assert ids(f"?q={first.reference.lower()}") == [first.reference]
    assert ids("?q=rotation") == [second.reference, first.reference]  # the root cause
    soon = (timezone.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"?created_before={soon}") == [second.reference, first.reference]
    assert ids(f"?created_after={soon}") == []
    paged = client.get(PIRS + "?page_size=1").json()
    assert paged["count"] == 2 and len(paged["results"]) == 1 and paged["next"]
    assert_error(client.get(PIRS + "?status=bogus"), 400, "validation_error")
    assert api(people.reporter).get(PIRS).json()["count"] == 0  # end users see no reviews


def test_detail_shows_what_the_viewer_may_do(api, people, file_review):
    review = file_review()
    url = f"{PIRS}{review.reference}/"
    owner = api(people.l2).get(url).json()
    assert owner["allowed_actions"] == ["update_item"]
    assert owner["action_items"][0]["allowed_actions"] == ["done", "cancel"]
    assert api(people.analyst).get(url).json()["allowed_actions"] == []
    assert_error(
        api(people.reporter).get(url),
        404,
        "not_found",
        f"Post-incident review {review.reference} was not found.",
    )


def test_patch_complete_and_action_items(api, people, file_review, article):
    review = file_review()
    url = f"{PIRS}{review.reference}/"
    im = api(people.im)
    assert_error(
        im.patch(url, {"status": "completed"}, format="json"), 400, "validation_error",
        "Invalid input. status: Not changed here; use the complete/ action.",
    )  # fmt: skip
    assert_error(
        im.patch(url, {"lessons": "x"}, format="json", HTTP_IF_MATCH='"5"'), 409, "conflict",
        f"{review.reference} changed since you loaded it (version 5, now 1). Reload it and try again.",
    )  # fmt: skip
    patched = im.patch(url, {"lessons": "Alert earlier.", "version": 1}, format="json")
    assert patched.status_code == 200 and patched.json()["lessons"] == "Alert earlier."
    assert patched["ETag"] == '"2"'

    added = im.post(
        url + "action-items/", {"description": "Runbook", "owner": people.l1.username}, format="json"
    )
    assert added.status_code == 200, added.json()
    assert [i["number"] for i in added.json()["action_items"]] == [1, 2]

    error = assert_error(im.post(url + "complete/", {}, format="json"), 400, "validation_error")
    assert error["message"] == (
        f"{review.reference} cannot be completed yet: fill in its KB articles; give action item 2 a due date."
    )
    assert set(error["fields"]) == {"kb_articles", "action_items.2.due_date"}

    assert (
        im.post(url + "action-items/2/", {"due_date": tomorrow().isoformat()}, format="json").status_code
        == 200
    )
    assert im.patch(url, {"kb_articles": [article.reference]}, format="json").status_code == 200
    done = im.post(url + "complete/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert done.json()["allowed_actions"] == ["update_item"]

    item = api(people.l2).post(url + "action-items/1/", {"status": "done"}, format="json")
    assert item.status_code == 200 and item.json()["action_items"][0]["status"] == "done"
    not_theirs = api(people.l2).post(url + "action-items/2/", {"status": "done"}, format="json")
    assert_error(
        not_theirs, 403, "permission_denied",
        f"Only the owner of action item 2 of {review.reference} ({people.l1.username}) or an incident "
        "manager may mark it done.",
    )  # fmt: skip
    assert_error(
        im.post(url + "action-items/9/", {"status": "done"}, format="json"), 404, "not_found",
        f"Action item 9 of {review.reference} was not found.",
    )  # fmt: skip
    assert_error(im.post(url + "action-items/2/", {"status": "open"}, format="json"), 400, "validation_error")
    events = AuditEvent.objects.filter(ref_id=review.reference).order_by("seq")
    actions = list(events.values_list("domain_action", flat=True))
    assert actions == ["review", "update", "update", "update", "update", "review", "update"]

"""The KB API (API.md): /api/v1/kb/ and the incident's link-kb/ and kb-update/."""

import pytest

from knowledge import services
from knowledge.models import Article
from tests.helpers import assert_error

KB = "/api/v1/kb/"


# ---- list and search --------------------------------------------------------------------
def test_readers_list_the_published_articles_as_published(api, people, article):
    published = article("published", title="VPN drops")
    article("draft", title="Draft only")
    revised = article("revising", title="Printer jams")
    services.article_edit(article=revised.reference, actor=people.analyst, title="Printer jams (new)")
    body = api(people.reporter).get(KB).json()
    assert body["count"] == 2
    rows = {r["id"]: r for r in body["results"]}
    assert set(rows) == {published.reference, revised.reference}
    assert (
        rows[revised.reference]["title"] == "Printer jams"
        and rows[revised.reference]["status"] == "published"
    )
    assert set(rows[published.reference]) == {
        "id",
        "title",
        "type",
        "status",
        "author",
        "published_number",
        "published_at",
        "created_at",
        "updated_at",
    }


def test_staff_list_every_article_with_its_status(api, people, article):
    refs = {article(state).reference: state for state in ("draft", "in_review", "published", "retired")}
    body = api(people.l2).get(KB).json()
    assert {r["id"]: r["status"] for r in body["results"]} == refs


def test_filters(api, people, article, make):
    incident = make("open")
    draft = article("draft", type="prevention", author=people.l2, incidents=[incident.reference])
    published = article("published")
    client = api(people.analyst)

    def ids(query: str) -> list[str]:
        response = client.get(KB + query)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("?status=draft") == [draft.reference]
    assert set(ids("?status=draft&status=published")) == {draft.reference, published.reference}
    assert ids("?type=prevention") == [draft.reference]
    assert ids(f"?author={people.l2.username}") == [draft.reference]
    assert ids(f"?incident={incident.reference}") == [draft.reference]
    assert ids("?created_after=2000-01-01T00:00:00Z&type=workaround") == [published.reference]
    assert ids("?created_before=2000-01-01T00:00:00Z") == []
    assert ids(f"?q={published.reference.lower()}") == [published.reference]


def test_a_reader_filtering_by_status(api, people, article):
    published = article("published")
    client = api(people.reporter)
    assert [r["id"] for r in client.get(KB + "?status=published").json()["results"]] == [published.reference]
    assert client.get(KB + "?status=draft").json()["count"] == 0


def test_q_searches_words_best_first_with_a_rank(api, people, article):
    in_body = article("published", title="Mail delays", body="Check the firewall rules.")
    in_title = article("published", title="Firewall blocks mail", body="Open port 25.")
    article("published", title="Printer", body="Toner.")
    rows = api(people.reporter).get(KB + "?q=firewall").json()["results"]
    assert [r["id"] for r in rows] == [in_title.reference, in_body.reference]
    assert rows[0]["rank"] > rows[1]["rank"] >= 0


def test_bad_filters_are_the_validation_envelope(api, people):
    error = assert_error(api(people.analyst).get(KB + "?status=closed"), 400, "validation_error")
    assert "status" in error["fields"]
    assert_error(api(people.analyst).get(KB + "?created_after=yesterday"), 400, "validation_error")


def test_pagination(api, people, article):
    for n in range(3):
        article("published", title=f"Article {n}")
    body = api(people.reporter).get(KB + "?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"] and body["previous"] is None


def test_anonymous_callers_are_not_authenticated(api):
    assert_error(api().get(KB), 401, "not_authenticated")


# ---- create -----------------------------------------------------------------------------
def test_create_answers_201_with_the_article(api, people, make):
    incident = make("open")
    response = api(people.l2).post(
        KB,
        {
            "title": "Disk full",
            "body": "Clear /tmp.",
            "type": "resolution",
            "incidents": [incident.reference],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"].startswith("KB-") and body["status"] == "draft" and body["version"] == 1
    assert body["allowed_actions"] == ["edit", "submit", "retire"] or body["allowed_actions"] == [
        "edit",
        "submit",
    ]
    assert body["incidents"] == [{"id": incident.reference, "title": incident.title, "status": "open"}]
    assert response["ETag"] == '"1"'


def test_create_and_submit(api, people):
    body = api(people.l2).post(
        KB, {"title": "T", "body": "B", "type": "workaround", "submit": True}, format="json"
    )
    assert body.json()["status"] == "in_review"


def test_create_refusals(api, people):
    client = api(people.l2)
    error = assert_error(
        client.post(
            KB, {"title": "T", "body": "one\npassword: hunter2", "type": "resolution"}, format="json"
        ),
        400,
        "validation_error",
        "Line 2 looks like a password; remove it (write <redacted> in its place) and save again.",
    )
    assert set(error["fields"]) == {"body"}
    error = assert_error(
        client.post(KB, {"title": "T", "body": "B", "type": "resolution", "priority": "P1"}, format="json"),
        400,
        "validation_error",
    )
    assert "priority" in error["fields"]
    assert_error(
        api(people.reporter).post(KB, {"title": "T", "body": "B", "type": "resolution"}, format="json"),
        403,
        "permission_denied",
        "Your role may not write KB articles.",
    )
    assert not Article.objects.exists()


# ---- detail -----------------------------------------------------------------------------
def test_detail_for_staff_has_the_working_copy_versions_and_allowed_actions(api, people, article, approver):
    kb = article("revising", body="v1 body")
    services.article_edit(article=kb.reference, actor=people.analyst, body="v2 draft")
    response = api(approver).get(f"{KB}{kb.reference}/")
    body = response.json()
    assert body["body"] == "v2 draft" and body["status"] == "draft"
    assert body["published_version"]["number"] == 1 and body["published_version"]["body"] == "v1 body"
    assert [v["number"] for v in body["versions"]] == [1]
    assert body["allowed_actions"] == ["edit", "submit", "retire"]
    assert response["ETag"] == f'"{body["version"]}"'


def test_detail_for_a_reader_is_the_published_version(api, people, article):
    kb = article("revising", body="v1 body")
    services.article_edit(article=kb.reference, actor=people.analyst, body="v2 draft")
    body = api(people.reporter).get(f"{KB}{kb.reference}/").json()
    assert (body["body"], body["status"], body["allowed_actions"]) == ("v1 body", "published", [])
    assert "review_note" not in body


def test_a_draft_is_not_found_for_a_reader(api, people, article):
    draft = article("draft")
    assert_error(
        api(people.reporter).get(f"{KB}{draft.reference}/"),
        404,
        "not_found",
        f"Article {draft.reference} was not found.",
    )


def test_a_reader_sees_only_their_incidents_linked(api, people, make, article):
    mine, theirs = make("open"), make("open", reporter=people.other_user)
    kb = article("published", incidents=[mine.reference, theirs.reference])
    body = api(people.reporter).get(f"{KB}{kb.reference}/").json()
    assert [i["id"] for i in body["incidents"]] == [mine.reference]


# ---- PATCH and actions ------------------------------------------------------------------
def test_patch_edits_the_working_copy(api, people, article):
    draft = article("draft")
    response = api(people.analyst).patch(
        f"{KB}{draft.reference}/", {"title": "New title", "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["title"] == "New title"


def test_patch_refusals(api, people, article):
    draft = article("draft")
    client = api(people.analyst)
    error = assert_error(
        client.patch(f"{KB}{draft.reference}/", {"status": "published"}, format="json"),
        400,
        "validation_error",
    )
    assert error["fields"]["status"] == [
        "Read-only; use an action (submit/, approve/, reject/, revise/, retire/)."
    ]
    assert_error(
        client.patch(f"{KB}{draft.reference}/", {"title": "X"}, format="json", HTTP_IF_MATCH='"9"'),
        409,
        "conflict",
        f"{draft.reference} changed since you loaded it (version 9, now 1). Reload it and try again.",
    )


def test_the_lifecycle_through_the_api(api, people, approver):
    writer, reviewer = api(people.l2), api(approver)
    ref = writer.post(KB, {"title": "T", "body": "B", "type": "resolution"}, format="json").json()["id"]
    assert writer.post(f"{KB}{ref}/submit/", {"version": 1}, format="json").json()["status"] == "in_review"
    body = reviewer.post(f"{KB}{ref}/reject/", {"reason": "Add the cause."}, format="json").json()
    assert (body["status"], body["review_note"]) == ("draft", "Add the cause.")
    writer.patch(f"{KB}{ref}/", {"body": "B because C."}, format="json")
    writer.post(f"{KB}{ref}/submit/", {}, format="json")
    body = reviewer.post(f"{KB}{ref}/approve/", {"comment": "Good."}, format="json").json()
    assert (body["status"], body["published_number"], body["published_version"]["approved_by"]) == (
        "published",
        1,
        approver.username,
    )
    assert writer.post(f"{KB}{ref}/revise/", {"title": "T2"}, format="json").json()["title"] == "T2"
    assert (
        reviewer.post(f"{KB}{ref}/retire/", {"reason": "Old."}, format="json").json()["status"] == "retired"
    )


def test_action_refusals(api, people, article):
    in_review = article("in_review", author=people.im)
    client = api(people.im)
    assert_error(
        client.post(f"{KB}{in_review.reference}/approve/", {}, format="json"),
        403,
        "segregation_of_duties",
        f"You wrote this version of {in_review.reference}; another incident manager must approve it.",
    )
    assert_error(
        client.post(f"{KB}{in_review.reference}/revise/", {}, format="json"),
        409,
        "invalid_transition",
        f"{in_review.reference} is in_review; only an article that is published can be revised.",
    )
    assert_error(
        client.post(f"{KB}{in_review.reference}/reject/", {}, format="json"), 400, "validation_error"
    )
    assert_error(
        api(people.l2).post(f"{KB}{in_review.reference}/retire/", {}, format="json"),
        403,
        "permission_denied",
        f"Your role may not retire {in_review.reference}.",
    )
    assert_error(
        client.post(f"{KB}KB-999999/submit/", {}, format="json"),
        404,
        "not_found",
        "Article KB-999999 was not found.",
    )


# ---- versions and diff ------------------------------------------------------------------
@pytest.fixture
def two_versions(people, article, approver):
    kb = article("published", title="VPN", body="Restart the client.\nRenew the lease.", type="workaround")
    services.article_revise(
        article=kb.reference,
        actor=people.l2,
        title="VPN drops",
        type="resolution",
        body="Restart the client.\nReinstall it.\nRenew the lease.",
    )
    services.article_submit(article=kb.reference, actor=people.l2)
    services.article_approve(article=kb.reference, actor=approver)
    return kb


def test_versions(api, people, two_versions):
    client = api(people.reporter)
    rows = client.get(f"{KB}{two_versions.reference}/versions/").json()
    assert [(v["number"], v["title"], v["author"]) for v in rows] == [
        (2, "VPN drops", people.l2.username),
        (1, "VPN", people.analyst.username),
    ]
    one = client.get(f"{KB}{two_versions.reference}/versions/1/").json()
    assert (one["number"], one["body"]) == (1, "Restart the client.\nRenew the lease.")
    assert_error(
        client.get(f"{KB}{two_versions.reference}/versions/7/"),
        404,
        "not_found",
        f"Version 7 of {two_versions.reference} was not found.",
    )


def test_diff_between_two_versions(api, people, two_versions):
    body = api(people.reporter).get(f"{KB}{two_versions.reference}/diff/?from=1&to=2").json()
    assert (body["from"], body["to"], body["title"], body["type"]) == (
        1,
        2,
        ["VPN", "VPN drops"],
        ["workaround", "resolution"],
    )
    assert (body["body"]["added"], body["body"]["removed"]) == (1, 0)
    assert [(line["op"], line["text"]) for line in body["body"]["lines"]] == [
        (" ", "Restart the client."),
        ("+", "Reinstall it."),
        (" ", "Renew the lease."),
    ]
    assert body["body"]["unified"].splitlines()[:2] == ["--- v1", "+++ v2"]


def test_diff_with_the_working_copy_is_for_staff(api, people, two_versions):
    services.article_revise(article=two_versions.reference, actor=people.l2, body="Call the desk.")
    body = api(people.l2).get(f"{KB}{two_versions.reference}/diff/?from=2&to=working").json()
    assert body["to"] == "working" and body["body"]["added"] == 1 and body["body"]["removed"] == 3
    assert_error(
        api(people.reporter).get(f"{KB}{two_versions.reference}/diff/?from=2&to=working"),
        400,
        "validation_error",
        "to must be a version number; got 'working'.",
    )
    assert_error(
        api(people.l2).get(f"{KB}{two_versions.reference}/diff/?from=1"),
        400,
        "validation_error",
        "to must be a version number or working; got ''.",
    )


# ---- the incident's link-kb/ and kb-update/ ---------------------------------------------
def test_the_incident_detail_lists_its_articles_and_the_links_the_viewer_may_make(api, people, make, article):
    incident = make("closed")
    kb = article("published", incidents=[incident.reference])
    body = api(people.analyst).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert body["kb_articles"] == [
        {"id": kb.reference, "title": kb.title, "type": kb.type, "status": "published"}
    ]
    assert body["allowed_links"] == ["link_kb", "kb_update"]
    open_one = make("open")
    assert api(people.analyst).get(f"/api/v1/incidents/{open_one.reference}/").json()["allowed_links"] == [
        "link_kb"
    ]
    reader = api(people.reporter).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert reader["allowed_links"] == [] and [a["id"] for a in reader["kb_articles"]] == [kb.reference]


def test_link_kb(api, people, make, article):
    incident, kb = make("in_progress"), article("published")
    response = api(people.l1).post(
        f"/api/v1/incidents/{incident.reference}/link-kb/",
        {"article": kb.reference, "version": incident.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == incident.reference and body["version"] == incident.version + 1
    assert [a["id"] for a in body["kb_articles"]] == [kb.reference]
    assert response["ETag"] == f'"{incident.version + 1}"'


def test_link_kb_refusals(api, people, make, article):
    incident, kb = make("open"), article("published")
    secret = make("open", category="security", team="L3")
    client = api(people.analyst)
    url = f"/api/v1/incidents/{incident.reference}/link-kb/"
    error = assert_error(
        client.post(url, {"article": "KB-999999"}, format="json"),
        400,
        "validation_error",
        "No KB article KB-999999.",
    )
    assert error["fields"] == {"article": ["No KB article KB-999999."]}
    assert_error(client.post(url, {}, format="json"), 400, "validation_error")
    assert_error(
        client.post(
            f"/api/v1/incidents/{secret.reference}/link-kb/", {"article": kb.reference}, format="json"
        ),
        404,
        "not_found",
        f"Incident {secret.reference} was not found.",
    )
    assert_error(
        api(people.auditor).post(url, {"article": kb.reference}, format="json"),
        403,
        "permission_denied",
        f"Your role may not link KB articles to {incident.reference}.",
    )


def test_kb_update(api, people, make, article):
    incident = make("closed")
    response = api(people.l2).post(
        f"/api/v1/incidents/{incident.reference}/kb-update/",
        {"title": "Relay stuck", "body": "Restart the relay.", "type": "resolution", "submit": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    written = body["kb_article"]
    assert written["status"] == "in_review" and [a["id"] for a in body["kb_articles"]] == [written["id"]]
    kb = article("published")
    body = (
        api(people.l2)
        .post(
            f"/api/v1/incidents/{incident.reference}/kb-update/",
            {"title": kb.title, "body": "Better steps.", "type": kb.type, "article": kb.reference},
            format="json",
        )
        .json()
    )
    assert body["kb_article"] == {"id": kb.reference, "status": "draft", "version": kb.version + 1}


def test_kb_update_refusals(api, people, make):
    resolved = make("resolved")
    assert_error(
        api(people.l2).post(
            f"/api/v1/incidents/{resolved.reference}/kb-update/",
            {"title": "T", "body": "B", "type": "resolution"},
            format="json",
        ),
        409,
        "invalid_transition",
        f"{resolved.reference} is resolved; only an incident that is closed can be written up in the "
        "knowledge base.",
    )
    closed = make("closed")
    assert_error(
        api(people.l2).post(
            f"/api/v1/incidents/{closed.reference}/kb-update/",
            {"title": "T", "body": "B", "type": "resolution", "article": "KB-424242"},
            format="json",
        ),
        400,
        "validation_error",
        "No KB article KB-424242.",
    )
    assert_error(
        api(people.l2).post(
            "/api/v1/incidents/INC-999999/kb-update/",
            {"title": "T", "body": "B", "type": "resolution"},
            format="json",
        ),
        404,
        "not_found",
        "Incident INC-999999 was not found.",
    )

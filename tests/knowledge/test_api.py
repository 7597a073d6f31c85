"""The KB API (API.md): /api/v1/kb/ and the incident's link-kb/ and kb-update/."""

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


def test_the_incident_filter_knows_only_the_incidents_the_viewer_may_see(api, people, make, article):
    mine, theirs = make("open"), make("open", reporter=people.other_user)
    on_mine = article("published", incidents=[mine.reference])
    article("published", incidents=[theirs.reference])
    client = api(people.reporter)
    assert [r["id"] for r in client.get(f"{KB}?incident={mine.reference}").json()["results"]] == [
        on_mine.reference
    ]
    assert client.get(f"{KB}?incident={theirs.reference}").json()["count"] == 0


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

"""The incident's KB actions in the API: its detail's kb_articles and allowed_links, link-kb/
and kb-update/."""

from tests.helpers import assert_error

KB = "/api/v1/kb/"


# ---- the incident's link-kb/ and kb-update/ ---------------------------------------------
def test_the_incident_detail_lists_its_articles_and_the_links_the_viewer_may_make(api, people, make, article):
    incident = make("closed")
    kb = article("published", incidents=[incident.reference])
    body = api(people.analyst).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert body["kb_articles"] == [
        {"id": kb.reference, "title": kb.title, "type": kb.type, "status": "published"}
    ]
    kb_links = {"link_kb", "kb_update"}  # (the other apps add their own links)
    assert [link for link in body["allowed_links"] if link in kb_links] == ["link_kb", "kb_update"]
    open_one = make("open")
    links = api(people.analyst).get(f"/api/v1/incidents/{open_one.reference}/").json()["allowed_links"]
    assert [link for link in links if link in kb_links] == ["link_kb"]
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

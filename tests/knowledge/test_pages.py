"""The KB pages through the Django test client: what each viewer reads, the actions shown
(exactly the allowed ones), a refusal shown once beside its form, the editor, the review
queue, versions and diff, and the incident page's knowledge panel."""

import re

import pytest
from django.test import Client

from knowledge import services
from knowledge.models import Article
from knowledge.services import ARTICLES


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panels(html: str) -> list[str]:
    return re.findall(r'<details class="action[^"]*" id="act-[^"]+"[^>]*data-action="([^"]+)"', html)


# ---- list and search --------------------------------------------------------------------
def test_the_list_needs_a_sign_in(db):
    response = Client().get("/kb/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_reader_searches_the_published_articles(people, article):
    published = article("published", title="VPN drops", body="Renew the DHCP lease.")
    draft = article("draft", title="Lease draft", body="Renew the lease differently.")
    html = client_for(people.reporter).get("/kb/?q=lease").content.decode()
    assert published.reference in html and draft.reference not in html
    assert 'name="status"' not in html  # readers read published articles only
    assert "Write an article" not in html


def test_staff_filter_by_status_with_the_same_filters_as_the_api(people, article):
    draft, published = article("draft"), article("published")
    html = client_for(people.analyst).get("/kb/?status=draft").content.decode()
    assert draft.reference in html and published.reference not in html
    assert 'name="status"' in html and "Write an article" in html


def test_invalid_filters_are_shown_not_applied(people, article):
    article("published")
    response = client_for(people.analyst).get("/kb/?created_after=nonsense")
    assert response.status_code == 200 and "Some filters are invalid" in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_everyone_signed_in_has_the_knowledge_entry(people):
    for user in (people.reporter, people.analyst, people.auditor):
        html = client_for(user).get("/kb/").content.decode()
        assert '<a href="/kb/">Knowledge</a>' in html


# ---- the article page -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "state"),
    [("analyst", "draft"), ("analyst", "in_review"), ("im", "in_review"), ("im", "published"),
     ("l2", "published"), ("auditor", "published"), ("reporter", "published"), ("im", "retired")],
)  # fmt: skip
def test_the_actions_shown_are_the_allowed_ones(people, article, who, state):
    kb = article(state)
    user = getattr(people, who)
    html = client_for(user).get(f"/kb/{kb.reference}/").content.decode()
    allowed = ARTICLES.allowed_actions(user, Article.objects.get(pk=kb.pk))
    assert panels(html) == [op for op in allowed if op != "edit"]
    assert ('data-action="edit"' in html) == ("edit" in allowed)


def test_a_reader_reads_the_published_version_without_the_timeline(people, article):
    kb = article("revising", body="Published words.")
    services.article_edit(article=kb.reference, actor=people.analyst, body="Draft words.")
    html = client_for(people.reporter).get(f"/kb/{kb.reference}/").content.decode()
    assert "Published words." in html and "Draft words." not in html and 'aria-label="Timeline"' not in html
    staff = client_for(people.analyst).get(f"/kb/{kb.reference}/").content.decode()
    assert "Draft words." in staff and 'data-testid="under-revision"' in staff
    assert 'aria-label="Timeline"' in staff and "approve" in staff


def test_a_draft_is_not_found_for_a_reader(people, article):
    assert client_for(people.reporter).get(f"/kb/{article('draft').reference}/").status_code == 404


def test_an_action_from_the_page(people, article, approver):
    kb = article("in_review")
    response = client_for(approver).post(
        f"/kb/{kb.reference}/act/approve/", {"version": kb.version, "comment": ""}
    )
    assert response.status_code == 302 and response["Location"] == f"/kb/{kb.reference}/"
    assert Article.objects.get(pk=kb.pk).status == "published"


def test_a_refusal_is_shown_once_beside_its_form(people, article):
    kb = article("in_review", author=people.im)
    response = client_for(people.im).post(f"/kb/{kb.reference}/act/approve/", {"version": kb.version})
    html = response.content.decode()
    message = f"You wrote this version of {kb.reference}; another incident manager must approve it."
    assert response.status_code == 403 and html.count(message) == 1
    form = re.search(
        r'<details class="action[^"]*" id="act-approve"[^>]*open.*?</details>', html, re.S
    ).group(0)
    assert form.count(message) == 1
    assert Article.objects.get(pk=kb.pk).status == "in_review"


def test_a_form_error_keeps_the_form_open(people, article):
    kb = article("in_review")
    response = client_for(people.im).post(
        f"/kb/{kb.reference}/act/reject/", {"version": kb.version, "reason": ""}
    )
    assert response.status_code == 400 and "Check the highlighted fields." in response.content.decode()


def test_a_stale_version_from_the_page_is_a_conflict(people, article):
    kb = article("draft")
    response = client_for(people.analyst).post(f"/kb/{kb.reference}/act/submit/", {"version": 99})
    assert response.status_code == 409 and f"Reload {kb.reference}" in response.content.decode()


# ---- editor -----------------------------------------------------------------------------
def test_write_an_article(people, make):
    incident = make("open")
    client = client_for(people.l2)
    assert client.get("/kb/new/").status_code == 200
    response = client.post("/kb/new/", {"title": "Disk full", "type": "resolution", "body": "Clear /tmp.",
                                        "incidents": incident.reference, "submit": "on"})  # fmt: skip
    kb = Article.objects.get()
    assert response["Location"] == f"/kb/{kb.reference}/" and kb.status == "in_review"
    assert list(kb.incidents.all()) == [incident]


def test_the_editor_shows_a_secret_once_and_keeps_the_text(people):
    response = client_for(people.l2).post(
        "/kb/new/", {"title": "Disk", "type": "resolution", "body": "one\ntwo\napi_key=abcdef123456"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("Line 3 looks like an API key or token") == 1 and "api_key=abcdef123456" in html
    assert not Article.objects.exists()


def test_readers_do_not_write(people):
    response = client_for(people.reporter).get("/kb/new/")
    assert response.status_code == 403 and "Your role may not write KB articles." in response.content.decode()


def test_edit_the_working_copy(people, article):
    kb = article("draft")
    client = client_for(people.analyst)
    assert 'value="VPN drops every hour"' in client.get(f"/kb/{kb.reference}/edit/").content.decode()
    values = {"title": "VPN drops", "type": "workaround", "body": kb.body, "version": kb.version}
    response = client.post(f"/kb/{kb.reference}/edit/", values)
    assert response.status_code == 302 and Article.objects.get(pk=kb.pk).title == "VPN drops"


def test_a_published_article_is_not_edited_but_revised(people, article):
    kb = article("published")
    response = client_for(people.analyst).get(f"/kb/{kb.reference}/edit/")
    assert response.status_code == 409
    assert "only an article that is draft or in_review can be edited" in response.content.decode()


# ---- review queue, versions, diff -------------------------------------------------------
def test_the_review_queue(people, article, approver):
    theirs, mine = article("in_review"), article("in_review", author=approver)
    article("draft")
    response = client_for(approver).get("/kb/review/")
    rows = response.context["rows"]
    assert [(r["article"].reference, r["own"]) for r in rows] == [
        (theirs.reference, False),
        (mine.reference, True),
    ]
    assert client_for(people.analyst).get("/kb/review/").status_code == 403


def test_versions_and_diff_pages(people, article, approver):
    kb = article("published", body="Step one.\nStep two.")
    services.article_revise(article=kb.reference, actor=people.l2, body="Step one.\nStep 2.")
    services.article_submit(article=kb.reference, actor=people.l2)
    services.article_approve(article=kb.reference, actor=approver)
    client = client_for(people.reporter)
    assert "Step two." in client.get(f"/kb/{kb.reference}/versions/1/").content.decode()
    assert client.get(f"/kb/{kb.reference}/versions/9/").status_code == 404
    response = client.get(f"/kb/{kb.reference}/diff/?from=1&to=2")
    html = response.content.decode()
    assert response.context["diff"]["body"]["added"] == 1 and "<del>Step two.</del>" in html
    assert "<ins>Step 2.</ins>" in html
    assert client.get(f"/kb/{kb.reference}/diff/").context["diff"]["from"] == 1  # the last change by default
    bad = client.get(f"/kb/{kb.reference}/diff/?from=1&to=working")
    assert (
        bad.status_code == 400
        and "to must be a version number; got &#x27;working&#x27;." in bad.content.decode()
    )

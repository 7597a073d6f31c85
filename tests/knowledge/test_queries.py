"""The KB's pages and API cost the same number of queries for 5 rows as for 50, and the
incident's detail (API and page) the same whatever the number of articles linked to it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowledge import services
from knowledge.models import Article


def count(client, url: str) -> int:
    """Queries of one request, after a first one has warmed every cache (the test client
    resets the query log per request, so it is read before the next one)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _published(article, people, n: int, start: int = 0):
    for i in range(start, start + n):
        article("published", title=f"VPN fix {i}", body=f"Restart the VPN client, step {i}.",
                author=people.l2 if i % 2 else people.analyst)  # fmt: skip


@pytest.mark.parametrize("viewer", ["analyst", "reporter"])
@pytest.mark.parametrize("query", ["", "q=vpn+client", "type=workaround&status=published"])
def test_the_list_page_and_api_list_for_5_and_50_rows(people, article, api, viewer, query):
    user = getattr(people, viewer)
    page, rest = browser(user), api(user)
    urls = (f"/kb/?{query}", f"/api/v1/kb/?page_size=50&{query}")
    _published(article, people, 5)
    few = (count(page, urls[0]), count(rest, urls[1]))
    _published(article, people, 45, start=5)
    first = Article.objects.order_by("pk").first()
    services.article_revise(article=first.reference, actor=people.l2)  # a reader reads its published version
    many = (count(page, urls[0]), count(rest, urls[1]))
    assert few == many, f"{urls} as {viewer}: (page, api) {few} for 5 rows, {many} for 50"


def _versions_and_links(kb, people, approver, make, versions: int, incidents: int):
    for _ in range(versions):
        services.article_revise(article=kb.reference, actor=people.l2, body=f"Body {_}")
        services.article_submit(article=kb.reference, actor=people.l2)
        services.article_approve(article=kb.reference, actor=approver)
    for _ in range(incidents):
        services.incident_link_kb(incident=make("open").reference, actor=people.im, article=kb.reference)


@pytest.mark.parametrize("viewer", ["analyst", "reporter"])
def test_the_article_page_and_api_detail_for_5_and_50_versions_incidents_and_events(
    people, article, approver, api, make, viewer
):
    user = getattr(people, viewer)
    kb = article("published")
    page, rest = browser(user), api(user)
    urls = (f"/kb/{kb.reference}/", f"/api/v1/kb/{kb.reference}/", f"/api/v1/kb/{kb.reference}/versions/")
    _versions_and_links(kb, people, approver, make, versions=4, incidents=5)
    few = [count(page if url.startswith("/kb/") else rest, url) for url in urls]
    _versions_and_links(kb, people, approver, make, versions=45, incidents=45)
    many = [count(page if url.startswith("/kb/") else rest, url) for url in urls]
    assert few == many, f"as {viewer}: {few} for 5 versions and incidents, {many} for 50"


def test_the_review_queue_for_5_and_50_rows(people, article, approver):
    client = browser(approver)
    for _ in range(5):
        article("in_review")
    few = count(client, "/kb/review/")
    for _ in range(45):
        article("in_review", author=people.l2)
    assert count(client, "/kb/review/") == few


@pytest.mark.parametrize("viewer", ["analyst", "reporter"])
def test_the_incident_detail_does_not_grow_with_its_articles(people, article, make, api, viewer):
    incident = make("closed", title="VPN tunnel drops")
    user = getattr(people, viewer)
    page, rest = browser(user), api(user)
    url = f"/incidents/{incident.reference}/"
    article("published", title="VPN tunnel resets", incidents=[incident.reference])
    article("published", title="VPN tunnel hint")  # a suggestion
    few = (count(page, url), count(rest, f"/api/v1{url}"))
    for n in range(12):
        article("published", title=f"VPN fix {n}", incidents=[incident.reference])
        article("published", title=f"VPN tunnel {n}")
    many = (count(page, url), count(rest, f"/api/v1{url}"))
    assert few == many, f"incident as {viewer}: (page, api) {few} with 1 article linked, {many} with 13"
    assert len(rest.get(f"/api/v1{url}").json()["kb_articles"]) == 13

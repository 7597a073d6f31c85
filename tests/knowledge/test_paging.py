"""A search's pages read the matches once: the page's rows carry the count
(knowledge.paging.OneReadPaginator), in the API and on the page."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.helpers import assert_error


def _articles(article, n: int):
    return [
        article("published", title=f"VPN fix {i}", body="Restart the client.").reference for i in range(n)
    ]


def test_search_pages_count_every_match_without_a_count_query(api, people, article):
    refs = _articles(article, 5)
    article("published", title="Printer", body="Toner.")
    client = api(people.reporter)
    client.get("/api/v1/kb/?q=vpn&page_size=2")
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/api/v1/kb/?q=vpn&page_size=2").json()
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "OVER ()" in counts[0], counts  # the page's own query
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"] and body["previous"] is None
    third = client.get("/api/v1/kb/?q=vpn&page_size=2&page=3").json()
    assert third["count"] == 5 and len(third["results"]) == 1 and third["next"] is None
    seen = [
        r["id"]
        for page in (1, 2, 3)
        for r in client.get(f"/api/v1/kb/?q=vpn&page_size=2&page={page}").json()["results"]
    ]  # noqa: E501
    assert sorted(seen) == sorted(refs)
    last = client.get("/api/v1/kb/?q=vpn&page_size=2&page=last").json()
    assert [r["id"] for r in last["results"]] == [r["id"] for r in third["results"]]


def test_past_the_last_page_is_not_found_and_nothing_found_is_an_empty_page(api, people, article):
    _articles(article, 3)
    client = api(people.reporter)
    assert_error(client.get("/api/v1/kb/?q=vpn&page_size=2&page=3"), 404, "not_found")
    body = client.get("/api/v1/kb/?q=nothingmatches").json()
    assert (body["count"], body["results"]) == (0, [])


def test_the_search_page_pages_the_same_way(people, article):
    _articles(article, 30)
    client = Client()
    client.force_login(people.reporter)
    first = client.get("/kb/?q=vpn")
    assert first.context["page"].paginator.count == 30 and len(first.context["rows"]) == 25
    assert "30 articles" in first.content.decode()
    assert client.get("/kb/?q=vpn&page=9").context["page"].number == 2  # past the last: the last
    assert client.get("/kb/?q=vpn&page=x").context["page"].number == 1
    assert len(client.get("/kb/?q=vpn&page=2").context["rows"]) == 5

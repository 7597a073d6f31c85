"""Query counts: the PIR lists and details (pages and API) read as many statements for 5
rows as for 50, and the incident's detail is not made dearer by its review's items."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews.models import ActionItem
from reviews.services import action_item_add
from reviews.views import PAGE_SIZE
from tests.reviews.conftest import tomorrow
from tests.sla.support import at


def queries(client, url: str) -> int:
    """Statements of one request, after a first one (the test client resets the query log
    per request, and the first warms the caches)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    count = len(captured.captured_queries)  # read before any other request
    assert response.status_code == 200
    return count


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reviews(make, file_review, people, n: int) -> None:
    for _ in range(n):
        file_review(make("resolved", priority="P1"), action_items=[
            {"description": "Alert", "owner": people.l2.username, "due_date": tomorrow()},
            {"description": "Runbook"},
        ])  # fmt: skip


def test_the_lists_read_the_same_for_5_and_50_reviews(api, people, make, file_review):
    client, page = api(people.im), browser(people.im)
    urls = ("/api/v1/pirs/", "/api/v1/pirs/?status=draft&q=alert", "/reviews/", "/reviews/?status=draft")
    _reviews(make, file_review, people, 5)
    few = {url: queries(page if url.startswith("/reviews") else client, url) for url in urls}
    _reviews(make, file_review, people, 45)
    many = {url: queries(page if url.startswith("/reviews") else client, url) for url in urls}
    assert many == few


def _items(review, people, n: int) -> None:
    for _ in range(n):
        owner = people.l2.username
        action_item_add(
            review=review.reference, actor=people.im, description="More", owner=owner, due_date=tomorrow()
        )


def test_a_review_and_the_incident_read_the_same_for_5_and_50_items(api, people, file_review):
    review = file_review(action_items=[])
    incident = review.incident.reference
    viewers = {"im": (api(people.im), browser(people.im)), "owner": (api(people.l2), browser(people.l2))}
    urls = (f"/api/v1/pirs/{review.reference}/", f"/reviews/{review.reference}/",
            f"/api/v1/incidents/{incident}/", f"/incidents/{incident}/")  # fmt: skip

    def counts():
        return {
            (who, url): queries(clients[1] if url.startswith(("/reviews", "/incidents")) else clients[0], url)
            for who, clients in viewers.items()
            for url in urls
        }

    _items(review, people, 5)
    few = counts()
    _items(review, people, 45)
    assert counts() == few
    body = api(people.im).get(f"/api/v1/incidents/{incident}/").json()
    assert body["review"] == [
        {
            "id": review.reference,
            "status": "draft",
            "items_open": 50,
            "items_overdue": 0,
            "completed_at": None,
        }
    ]


def test_my_items_and_the_overdue_list_read_the_same_for_5_and_50_items(people, file_review):
    review = file_review(action_items=[])

    def counts():
        with at(timezone.now() + timedelta(days=3)):  # every item overdue
            overdue = browser(people.im).get("/reviews/overdue/").content.decode()
            assert overdue.count("<tr data-row>") == min(ActionItem.objects.count(), PAGE_SIZE)
            mine = queries(browser(people.l2), "/reviews/mine/")
            return mine, queries(browser(people.im), "/reviews/overdue/")

    _items(review, people, 5)
    few = counts()
    _items(review, people, 45)
    assert counts() == few

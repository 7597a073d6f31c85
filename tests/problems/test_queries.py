"""Problem pages and API answers cost the same number of queries for 5 rows as for 50 (no
N+1), and an incident's detail (API and page) costs the same however many problems it
links."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Service
from problems import services
from tests.incidents.factories import incident_in
from tests.problems.factories import problem_in


def queries(client, url: str) -> int:
    """Queries of one request, after a first one has warmed every cache (the test client
    resets the query log per request: read it before the next one)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _add_problems(people, count: int) -> None:
    """Rows that touch every relation a row shows: service, owner team, assignee, linked
    incidents, a known error's article."""
    for n in range(count):
        status = ("new", "under_investigation", "known_error", "resolved")[n % 4]
        incident = incident_in("open", actor=people.im, reporter=people.reporter)
        team, assignee = ("L2" if n % 2 else None), (people.l2.username if n % 3 else None)
        problem_in(
            status, actor=people.im, incidents=[incident.reference], owner_team=team, assignee=assignee
        )


def _link_incidents(problem, people, count: int) -> None:
    for n in range(count):
        category = "security" if n % 5 == 0 else "software"  # some the desk may not see
        incident = incident_in("in_progress", actor=people.im, reporter=people.reporter, category=category,
                               team="L3" if category == "security" else "L1")  # fmt: skip
        services.problem_link_incident(
            problem=problem.reference, incident=incident.reference, actor=people.im
        )


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_list_costs_the_same_for_5_and_50_problems(people, api, where):
    client = browser(people.analyst) if where == "page" else api(people.analyst)
    url = "/problems/" if where == "page" else "/api/v1/problems/?page_size=100"
    _add_problems(people, 5)
    few = queries(client, url)
    _add_problems(people, 45)
    many = queries(client, url)
    assert many == few, f"problem list ({where}): {few} queries for 5 problems, {many} for 50"


@pytest.mark.parametrize("where", ["page", "api"])
@pytest.mark.parametrize("viewer", ["analyst", "l3"])
def test_the_detail_costs_the_same_for_5_and_50_linked_incidents(people, api, where, viewer):
    user = getattr(people, viewer)
    problem = problem_in("known_error", actor=people.im, service=Service.objects.create(name="Mail"))
    client = browser(user) if where == "page" else api(user)
    url = f"/problems/{problem.reference}/" if where == "page" else f"/api/v1/problems/{problem.reference}/"
    _link_incidents(problem, people, 5)
    few = queries(client, url)
    _link_incidents(problem, people, 45)
    many = queries(client, url)
    assert many == few, f"problem detail ({where}, {viewer}): {few} queries for 5 incidents, {many} for 50"


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_incident_detail_costs_the_same_however_many_problems_it_links(people, api, where):
    incident = incident_in("in_progress", actor=people.im, reporter=people.reporter)
    client = browser(people.l1) if where == "page" else api(people.l1)
    url = (
        f"/incidents/{incident.reference}/" if where == "page" else f"/api/v1/incidents/{incident.reference}/"
    )
    problem_in("new", actor=people.im, incidents=[incident.reference])
    one = queries(client, url)
    for _ in range(49):
        problem_in("under_investigation", actor=people.im, incidents=[incident.reference])
    fifty = queries(client, url)
    assert fifty == one, f"incident detail ({where}): {one} queries with 1 problem, {fifty} with 50"
    body = client.get(url)
    text = body.content.decode()
    assert text.count("data-problem=") == 50 if where == "page" else len(body.json()["problems"]) == 50

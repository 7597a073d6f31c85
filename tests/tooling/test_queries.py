"""The tool usage list (page and API) and detail cost the same number of queries for 5 rows
as for 50, and an incident's detail (API and page) the same however many usages it has."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


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


def _add(make, usage, people, count: int) -> None:
    for n in range(count):
        incident = make("in_progress", team="L2")
        usage(
            incident, actor=people.l2 if n % 2 else people.im, tool="automation_script" if n % 3 else "AIOps"
        )


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_list_costs_the_same_for_5_and_50_usages(people, make, usage, api, where):
    client = browser(people.im) if where == "page" else api(people.im)
    url = "/tool-usages/?page_size=100" if where == "page" else "/api/v1/tool-usages/?page_size=100"
    _add(make, usage, people, 5)
    few = queries(client, url)
    _add(make, usage, people, 45)
    many = queries(client, url)
    assert many == few, f"tool usage list ({where}): {few} queries for 5, {many} for 50"
    if where == "api":
        assert len(client.get(url).json()["results"]) == 50


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_incident_detail_costs_the_same_however_many_usages_it_has(people, make, usage, api, where):
    incident = make("in_progress", team="L2")
    client = browser(people.l2) if where == "page" else api(people.l2)
    url = (
        f"/incidents/{incident.reference}/" if where == "page" else f"/api/v1/incidents/{incident.reference}/"
    )
    usage(incident)
    one = queries(client, url)
    for _ in range(49):
        usage(incident, actor=people.l2)
    fifty = queries(client, url)
    assert fifty == one, f"incident detail ({where}): {one} queries with 1 usage, {fifty} with 50"
    body = client.get(url)
    if where == "page":
        assert body.content.decode().count("data-tool-usage=") == 50
    else:
        assert len(body.json()["tool_usages"]) == 50
        assert "record_tool_usage" in body.json()["allowed_links"]


def test_the_api_detail_costs_the_same_whatever_the_number_of_rows(people, make, usage, api):
    client = api(people.im)
    _add(make, usage, people, 5)
    ref = usage(make("open")).reference
    few = queries(client, f"/api/v1/tool-usages/{ref}/")
    _add(make, usage, people, 45)
    assert queries(client, f"/api/v1/tool-usages/{ref}/") == few

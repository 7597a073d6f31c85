"""No N+1: the change list and the change page, in the browser and the API, cost the same
number of queries for 5 rows as for 50; the incident's detail (API and page) costs the same
however many changes are linked to it, recent on its services, or incidents open beside it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Service
from changes.services import change_link_incident

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    """Queries of one request, after a first one has warmed every cache."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _changes(cast, chg, services, count: int) -> None:
    """Rows that touch every relation a row shows: requesters, services (one or two each)."""
    states = ("pending", "approved", "standard", "implemented", "bypassed")
    for n in range(count):
        state = states[n % len(states)]
        on = [services[n % 3].reference] + ([services[(n + 1) % 3].reference] if n % 2 else [])
        kw = {"risk": "low"} if state == "standard" else {}
        chg(state, requester=(cast.analyst, cast.l2, cast.devops)[n % 3], affected_services=on, **kw)


@pytest.fixture
def services(svc):
    return [svc, Service.objects.create(name="Directory"), Service.objects.create(name="Payroll")]


@pytest.mark.parametrize("url", ["/changes/", "/changes/?status=pending&status=approved", "/changes/cab/",
                                 "/api/v1/changes/", "/api/v1/changes/?type=normal&q=relay"])  # fmt: skip
def test_lists_cost_the_same_for_5_and_50_changes(cast, chg, services, api, url):
    client = api(cast.cm) if url.startswith("/api/") else _logged_in(cast.cm)
    _changes(cast, chg, services, 5)
    few = queries(client, url)
    _changes(cast, chg, services, 45)
    many = queries(client, url)
    assert few == many, f"{url}: {few} queries for 5 changes, {many} for 50"


@pytest.mark.parametrize("where", ["page", "api"])
def test_a_change_costs_the_same_with_5_and_50_incidents_and_events(cast, chg, make, api, where):
    change = chg("approved")
    client = api(cast.cm) if where == "api" else _logged_in(cast.cm)
    url = f"/api/v1/changes/{change.reference}/" if where == "api" else f"/changes/{change.reference}/"
    seen = []
    for more in (5, 45):
        for _ in range(more):
            incident = make("in_progress")
            change_link_incident(incident=incident.reference, change=change.reference, actor=cast.analyst)
        seen.append(queries(client, url))
    assert seen[0] == seen[1], f"{where}: {seen[0]} queries for 5 linked incidents, {seen[1]} for 50"


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_incident_costs_the_same_however_many_changes_touch_it(cast, chg, make, services, api, where):
    svc, directory, _ = services
    svc.depends_on.add(directory)
    incident = make("in_progress")
    client = api(cast.analyst) if where == "api" else _logged_in(cast.analyst)
    url = (
        f"/api/v1/incidents/{incident.reference}/" if where == "api" else f"/incidents/{incident.reference}/"
    )
    seen = []
    for more in (2, 18):
        for n in range(more):
            fix = chg("approved", affected_services=[(svc, directory)[n % 2].reference])
            change_link_incident(incident=incident.reference, change=fix.reference, actor=cast.analyst)
            chg("implemented", affected_services=[directory.reference])  # recent, on a dependency
            make("open", service=(svc, directory)[n % 2])  # open beside it
        body = client.get(url)
        seen.append(queries(client, url))
    if where == "api":
        body = body.json()
        assert len(body["changes"]) == 20 and len(body["recent_changes"]) == 20  # (the enrichment's limit)
        assert len(body["related_incidents"]) == 20
    assert seen[0] == seen[1], f"incident {where}: {seen[0]} queries with 2 of each, {seen[1]} with 20"

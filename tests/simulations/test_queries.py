"""The simulation list (page and API) costs the same for 5 rows as for 50, and a
simulation's detail the same for 5 injects and follow-ups as for 50."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from simulations import services

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_list_costs_the_same_for_5_and_50(people, sim, api, where):
    client = browser(people.im) if where == "page" else api(people.im)
    url = "/simulations/" if where == "page" else "/api/v1/simulations/?page_size=100"
    for n in range(5):
        sim(("planned", "running", "completed")[n % 3])
    few = queries(client, url)
    for n in range(45):
        sim(("planned", "running", "completed")[n % 3])
    assert queries(client, url) == few


def _grow(simulation, people, count, svc):
    for n in range(count):
        services.simulation_drill_incident(
            simulation=simulation.reference,
            actor=people.im,
            title=f"Drill {n}",
            affected_service=svc.reference,
            impact="low",
            urgency="low",
        )
        services.simulation_add_inject(
            simulation=simulation.reference,
            actor=people.im,
            at=f"2026-12-01T10:{n % 60:02d}:00Z",
            description=f"Inject {n}",
        )
        services.simulation_add_follow_up(
            simulation=simulation.reference,
            actor=people.im,
            description=f"Action {n}",
            owner=people.l2.username,
        )


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_detail_costs_the_same_for_5_and_50_rows(people, sim, svc, api, where):
    simulation = sim("running")
    client = browser(people.im) if where == "page" else api(people.im)
    url = (
        f"/simulations/{simulation.reference}/"
        if where == "page"
        else f"/api/v1/simulations/{simulation.reference}/"
    )
    _grow(simulation, people, 5, svc)
    few = queries(client, url)
    _grow(simulation, people, 45, svc)
    assert queries(client, url) == few

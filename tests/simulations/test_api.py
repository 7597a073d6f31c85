"""The simulation API: create (201), each operation's POST, refusals in the envelope,
filters, q, pagination, allowed_actions."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from simulations.models import Simulation
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/simulations/"


def test_an_exercise_through_the_api(people, api):
    client = api(people.im)
    created = client.post(
        URL,
        {
            "scenario": "Ransomware on file servers",
            "scope": "File shares",
            "participants": [people.l2.username],
            "outcome": "Restore within 4h",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    ref = body["id"]
    assert (body["status"], body["participants"], body["outcomes"]) == (
        "planned",
        [people.l2.username],
        "Restore within 4h",
    )
    assert body["allowed_actions"] == ["start", "add_inject"]
    assert created["ETag"] == '"1"'
    step = client.post(f"{URL}{ref}/start/", {"version": 1}, format="json")
    assert (step.status_code, step.json()["status"]) == (200, "running")
    assert step.json()["allowed_actions"] == ["add_inject", "complete", "add_follow_up", "drill_incident"]
    step = client.post(
        f"{URL}{ref}/add-inject/",
        {"at": "2026-12-01T10:00:00Z", "description": "Shares encrypted"},
        format="json",
    )
    assert step.json()["injects"] == [{"at": "2026-12-01T10:00:00Z", "description": "Shares encrypted"}]
    step = client.post(
        f"{URL}{ref}/add-follow-up/",
        {"description": "Offline backups", "owner": people.l3.username},
        format="json",
    )
    assert step.json()["follow_ups"] == [{"description": "Offline backups", "owner": people.l3.username}]
    step = client.post(f"{URL}{ref}/complete/", {"outcomes": "Restored in 5h"}, format="json")
    assert (step.json()["status"], step.json()["allowed_actions"]) == ("completed", ["add_follow_up"])
    assert api(people.auditor).get(f"{URL}{ref}/").json()["allowed_actions"] == []


def test_refusals_in_the_envelope_write_nothing(people, api, sim):
    simulation = sim()
    before = (Simulation.objects.count(), AuditEvent.objects.count())
    assert_error(
        api(people.auditor).post(URL, {"scenario": "x", "scope": "y"}, format="json"),
        403,
        "permission_denied",
        "Your role may not create simulations. Only incident managers run simulations.",
    )
    assert_error(
        api(people.l2).get(f"{URL}{simulation.reference}/"),
        404,
        "not_found",
        f"Simulation {simulation.reference} was not found.",
    )
    assert_error(
        api(people.im).post(f"{URL}{simulation.reference}/complete/", {"outcomes": "x"}, format="json"),
        409,
        "invalid_transition",
        f"{simulation.reference} is planned; only a simulation that is running can be completed.",
    )
    assert_error(
        api(people.im).post(f"{URL}{simulation.reference}/start/", {"version": 9}, format="json"),
        409,
        "conflict",
    )
    assert_error(
        api(people.im).post(URL, {"scenario": "", "scope": "y"}, format="json"),
        400,
        "validation_error",
        "Name the scenario the simulation exercises.",
    )
    assert_error(api(None).get(URL), 401, "not_authenticated")
    assert (Simulation.objects.count(), AuditEvent.objects.count()) == before


def test_filters_q_and_pagination(people, api, sim):
    planned = sim(scenario="Power loss")
    running = sim("running", scenario="Phishing wave", participants=[people.l3.username])
    client = api(people.im)

    def ids(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("?status=running") == [running.reference]
    assert ids(f"?participant={people.l3.username}") == [running.reference]
    assert ids("?q=power") == [planned.reference]
    assert ids(f"?q={running.reference}") == [running.reference]
    assert ids("") == [running.reference, planned.reference]
    page = client.get(URL + "?page_size=1").json()
    assert (page["count"], len(page["results"])) == (2, 1)
    assert_error(client.get(URL + "?status=bogus"), 400, "validation_error")
    assert api(people.l2).get(URL).json()["results"] == []


def test_a_drill_incident_through_the_api_is_flagged_on_the_incident(people, api, sim, svc):
    simulation = sim("running")
    client = api(people.im)
    response = client.post(
        f"{URL}{simulation.reference}/drill-incident/",
        {
            "title": "Phishing drill",
            "impact": "medium",
            "urgency": "medium",
            "affected_service": svc.reference,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    [ref] = response.json()["drill_incidents"]
    incident = client.get(f"/api/v1/incidents/{ref}/").json()
    assert incident["drill"] == [{"id": simulation.reference, "scenario": simulation.scenario}]
    page = Client()
    page.force_login(people.im)
    assert f'data-drill-of="{simulation.reference}"' in page.get(f"/incidents/{ref}/").content.decode()
    assert_error(
        api(people.l2).post(f"{URL}{simulation.reference}/drill-incident/", {"title": "x", "impact": "low",
                            "urgency": "low", "affected_service": svc.reference}, format="json"),
        404, "not_found",
    )  # fmt: skip

"""Simulations in the browser: list, plan form, the page with exactly the viewer's actions,
an action from the page, a refusal shown once beside its form, navigation and admin."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from simulations.models import Simulation

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def actions_on(text: str) -> list[str]:
    import re

    return re.findall(r'data-action="([a-z_]+)"', text)


def test_plan_and_run_from_the_pages(people):
    client = browser(people.im)
    assert client.get("/simulations/new/").status_code == 200
    response = client.post(
        "/simulations/new/",
        {
            "scenario": "DDoS",
            "scope": "Public web",
            "participants": f"{people.l2.username}, {people.l3.username}",
        },
    )
    simulation = Simulation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/simulations/{simulation.reference}/"
    assert simulation.participants.count() == 2
    page = f"/simulations/{simulation.reference}/"
    assert actions_on(client.get(page).content.decode()) == ["start", "add_inject"]
    assert client.post(f"{page}act/start/", {"version": 1}).status_code == 302
    client.post(
        f"{page}act/add_inject/", {"at": "2026-12-01T10:00", "description": "Traffic x100", "version": 2}
    )
    text = client.get(page).content.decode()
    assert actions_on(text) == ["add_inject", "complete", "add_follow_up", "drill_incident"]
    assert "Traffic x100" in text and "Timeline" in text
    assert actions_on(browser(people.auditor).get(page).content.decode()) == []
    assert "/simulations/" in client.get("/simulations/").content.decode()
    assert simulation.reference in browser(people.auditor).get("/simulations/").content.decode()


def test_a_refusal_is_shown_once_beside_its_form(people, sim):
    simulation = sim("running")
    before = AuditEvent.objects.count()
    response = browser(people.im).post(
        f"/simulations/{simulation.reference}/act/complete/", {"outcomes": " ", "version": simulation.version}
    )
    text = response.content.decode()
    assert text.count(f"Record the outcomes of {simulation.reference} to complete it.") == 1
    assert 'id="act-complete" open' in text
    assert AuditEvent.objects.count() == before
    simulation.refresh_from_db()
    assert simulation.status == "running"


def test_the_plan_form_shows_its_refusal_once(people):
    response = browser(people.im).post(
        "/simulations/new/", {"scenario": "x", "scope": "y", "participants": "ghost"}
    )
    assert response.content.decode().count("No active user ghost.") == 1
    assert Simulation.objects.count() == 0


def test_others_see_no_simulations(people, sim):
    simulation = sim()
    for user in (people.l2, people.analyst, people.reporter):
        assert browser(user).get("/simulations/").status_code == 404
        assert browser(user).get(f"/simulations/{simulation.reference}/").status_code == 404
    assert browser(people.auditor).get("/simulations/new/").status_code == 403
    assert 'href="/simulations/"' in browser(people.im).get("/incidents/").content.decode()
    assert 'href="/simulations/"' not in browser(people.l2).get("/incidents/").content.decode()


def test_the_list_page_filters(people, sim):
    a, b = sim(scenario="Power loss"), sim("running", scenario="Phishing")
    text = browser(people.im).get("/simulations/?status=running").content.decode()
    assert b.reference in text and a.reference not in text
    text = browser(people.im).get("/simulations/?q=power").content.decode()
    assert a.reference in text and b.reference not in text


def test_the_admin_is_read_only(people, sim):
    simulation = sim()
    client = browser(people.im)
    assert client.get("/admin/simulations/simulation/").status_code == 200
    change = client.get(f"/admin/simulations/simulation/{simulation.pk}/change/")
    assert change.status_code == 200 and 'name="scenario"' not in change.content.decode()
    assert client.get("/admin/simulations/simulation/add/").status_code == 403

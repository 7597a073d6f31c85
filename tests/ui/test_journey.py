"""The incident desk end to end in Chromium: report on a phone, triage, escalate, resolve,
confirm; a refused and an allowed close of a P1; someone else's incident is not found.

Runs against pytest-django's live server in the PostgreSQL pass only: a transactional test
flushes the tables afterwards, which SQLite's append-only audit trigger refuses."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import Service
from incidents import services
from incidents.models import Incident
from tests.ui.browser import Desk, act, no_horizontal_overflow, status_of
from tests.ui.conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
User = get_user_model()


def test_incident_desk_journey(live_server, new_context):
    call_command("seed_demo", stdout=StringIO())
    desk = Desk(new_context, live_server.url)

    # -- an end user on a phone reports an incident and finds it under "my incidents" --------
    eve = desk.sign_in("enduser", PHONE)
    expect(eve).to_have_url(re.compile(r"/my/$"))
    expect(eve.get_by_role("heading", name="My incidents")).to_be_visible()
    eve.get_by_role("link", name="Report an incident").click()
    expect(eve.get_by_role("heading", name="Report an incident")).to_be_visible()
    assert no_horizontal_overflow(eve), "report form is wider than a 375 px phone"
    eve.get_by_label("Affected service").select_option(label="Email")
    eve.get_by_label("Category:", exact=True).select_option("software")
    eve.get_by_label("Short summary").fill("Outlook keeps showing 'disconnected'")
    eve.get_by_label("What happened?").fill("Since 9:00 Outlook cannot reach the server; webmail works.")
    eve.locator("input[name=urgency][value=medium]").check()
    eve.locator("input[name=impact][value=medium]").check()
    expect(eve.locator("[data-priority-preview]")).to_have_text("P3")  # desk.js, from the matrix
    eve.get_by_role("button", name="Report incident").click()
    expect(eve.get_by_role("status").first).to_contain_text("reported with priority P3")
    ref = eve.locator("h1 .ref").inner_text()
    assert re.fullmatch(r"INC-\d{6}", ref)
    expect(status_of(eve)).to_have_text("Open")
    eve.get_by_role("navigation", name="Main").get_by_role("link", name="My incidents").click()
    mine = eve.locator(f"article[data-incident='{ref}']")
    expect(mine).to_contain_text("Outlook keeps showing")
    expect(mine.locator(".status")).to_have_text("Open")
    assert no_horizontal_overflow(eve), "my incidents is wider than a 375 px phone"

    # -- an analyst picks it from Unassigned, assigns it to L1, diagnoses, escalates to L2 ----
    alex = desk.sign_in("analyst", DESKTOP)
    expect(alex.locator("[data-queue=unassigned]")).to_have_attribute("aria-current", "page")
    alex.locator("#incident-list").get_by_role("link", name=ref).click()
    expect(alex.locator("h1")).to_contain_text(ref)
    stale = alex.context.new_page()  # the same incident in a second tab, loaded now
    stale.goto(f"/incidents/{ref}/")

    act(alex, "assign", {"team": "L1"}, button="Assign")
    expect(alex.get_by_role("status").first).to_contain_text(f"{ref}: assign done.")
    expect(status_of(alex)).to_have_text("In Progress")

    # the second tab still holds the old version: its form is refused with a reload link
    act(stale, "diagnose", {"steps": "Pinged the mail server."}, button="Diagnose")
    conflict = stale.get_by_test_id("error")
    expect(conflict).to_contain_text(f"{ref} changed since you loaded it")
    expect(stale.locator("#act-diagnose .error")).to_contain_text("changed since you loaded it")
    conflict.get_by_role("link", name=f"Reload {ref}").click()
    expect(stale.get_by_test_id("error")).to_have_count(0)
    expect(status_of(stale)).to_have_text("In Progress")
    stale.close()

    act(
        alex,
        "diagnose",
        {"steps": "Outlook profile OK; the Exchange connector refuses TLS."},
        button="Diagnose",
    )
    expect(alex.locator(".fields")).to_contain_text("the Exchange connector refuses TLS")
    act(alex, "escalate", {"target": "L2", "reason": "Server-side TLS problem."}, button="Escalate")
    expect(status_of(alex)).to_have_text("Escalated")
    expect(alex.locator(".timeline")).to_contain_text("to team (L2)")

    # -- an L2 engineer finds it in their team's queue and resolves it ----------------------
    lou = desk.sign_in("l2", DESKTOP)
    lou.locator("[data-queue=team]").click()
    lou.locator("#incident-list").get_by_role("link", name=ref).click()
    act(
        lou,
        "resolve",
        {"resolution_summary": "Renewed the connector certificate.", "service_restored": "on"},
        button="Resolve",
    )
    expect(status_of(lou)).to_have_text("Resolved")

    # -- the end user confirms restoration from "my incidents" -----------------------------
    eve.goto("/my/")
    mine = eve.locator(f"article[data-incident='{ref}']")
    expect(mine.locator(".status")).to_have_text("Resolved")
    mine.get_by_role("link", name="Respond").click()
    expect(eve.locator("#act-confirm")).to_have_attribute("open", "")  # the link opened the panel
    act(eve, "confirm", {"note": "Works again, thanks."}, button="Confirm restoration")
    expect(status_of(eve)).to_have_text("Closed")
    assert no_horizontal_overflow(eve), "the incident page is wider than a 375 px phone"
    assert Incident.objects.get(reference=ref).status == "closed"

    # -- a resolved P1: the analyst's close is refused, an incident manager closes it ------
    p1 = _resolved_p1()
    alex.goto(f"/incidents/{p1}/")
    expect(status_of(alex)).to_have_text("Resolved")
    expect(alex.locator("#act-close")).to_have_count(0)  # no Close button for the analyst
    refusal = "only an incident manager or a service desk manager may close a high-priority incident"
    desk.expect_refused(f"/incidents/{p1}/act/close/")
    alex.goto(f"/incidents/{p1}/act/close/")  # nor its form, which says why (issue 15 #3)
    expect(alex.locator("main")).to_contain_text(refusal)
    expect(alex.get_by_label("Closure notes")).to_have_count(0)
    assert Incident.objects.get(reference=p1).status == "resolved"

    morgan = desk.sign_in("manager", DESKTOP)
    morgan.goto(f"/incidents/{p1}/")
    act(morgan, "close", {"closure_notes": "VPN concentrator replaced; PIR booked."}, button="Close")
    expect(status_of(morgan)).to_have_text("Closed")
    assert Incident.objects.get(reference=p1).status == "closed"

    # -- an end user opening another user's incident gets the not-found page ---------------
    desk.expect_not_found(f"/incidents/{p1}/")
    response = eve.goto(f"/incidents/{p1}/")
    assert response.status == 404
    expect(eve.get_by_role("heading", name="Not found")).to_be_visible()
    expect(eve.locator("body")).not_to_contain_text("VPN")

    assert desk.problems == [], "\n".join(desk.problems)
    assert len(desk.visited) >= 20


def _resolved_p1() -> str:
    """A P1 reported by another end user, worked by L2 and resolved (through the services)."""
    vpn = Service.objects.get(name="VPN")
    reporter, manager, l2 = (User.objects.get(username=u) for u in ("enduser2", "manager", "l2"))
    incident, _ = services.incident_create(
        actor=reporter,
        title="VPN down for everyone",
        impact="high",
        urgency="high",
        affected_service=vpn.reference,
    )
    services.incident_assign(incident=incident.reference, actor=manager, team="L2")
    services.incident_resolve(
        incident=incident.reference, actor=l2, resolution_summary="Failover.", service_restored=True
    )
    return incident.reference

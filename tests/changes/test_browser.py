"""A change from request to closure in Chromium, as its people work it: the analyst requests it
for an incident, the CAB approves it from its queue, the analyst links it to the incident as
the fix, implements and closes it; no console error, refused script or failed request."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import Service
from changes.models import Change, ChangeIncidentLink
from incidents import services as incident_services
from tests.ui.browser import Desk
from tests.ui.conftest import DESKTOP, _django_serialized_contents, browser_type_launch_args, playwright  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_change_from_request_to_closure_in_the_browser(live_server, new_context, settings):
    call_command("seed_demo", stdout=StringIO())
    from accounts.models import User

    analyst, manager = User.objects.get(username="analyst"), User.objects.get(username="manager")
    service = Service.objects.filter(is_active=True).order_by("reference").first()
    incident, _ = incident_services.incident_create(
        actor=analyst, title="Mail relay drops TLS", description="Since 9:00.", category="software",
        impact="medium", urgency="medium", affected_service=service.reference,
    )  # fmt: skip
    incident_services.incident_assign(incident=incident.reference, actor=manager, team="service_desk")
    desk = Desk(new_context, live_server.url)

    page = desk.sign_in("analyst", DESKTOP)
    page.goto(f"/incidents/{incident.reference}/")
    panel = page.get_by_test_id("incident-changes")
    expect(panel).to_contain_text("No change linked.")
    panel.get_by_role("link", name="Request a change for it").click()
    page.get_by_label("Summary").fill("Upgrade the mail relay to 2.4")
    page.get_by_label("Type").select_option("normal")
    page.get_by_label("Risk").select_option("medium")
    page.get_by_label("Window starts").fill("2030-01-10T22:00")
    page.get_by_label("Window ends").fill("2030-01-10T23:00")
    page.get_by_label("Rollback plan").fill("Reinstall 2.3 from the mirror.")
    page.get_by_role("button", name="Request change").click()
    expect(page.get_by_test_id("status")).to_have_text("Pending approval")
    change = Change.objects.get()
    expect(page.locator("[data-action]")).to_have_count(0)  # the CAB decides

    cab = desk.sign_in("cab", DESKTOP)
    cab.goto("/changes/cab/")
    expect(cab.get_by_test_id("pending-count")).to_have_text("1")
    cab.get_by_role("link", name=change.reference).click()
    cab.locator("#act-approve summary").click()
    cab.locator("#act-approve textarea").fill("Inside the window; rollback tested.")
    cab.locator("#act-approve").get_by_role("button", name="Approve").click()
    expect(cab.get_by_test_id("status")).to_have_text("Approved")

    page.goto(f"/incidents/{incident.reference}/")
    panel = page.get_by_test_id("incident-changes")
    panel.get_by_label("Change").fill(change.reference)
    panel.get_by_role("button", name="Link change").click()
    expect(page.get_by_test_id("incident-changes")).to_contain_text(f"{change.reference} ")
    expect(page.get_by_test_id("incident-changes")).to_contain_text("fixes it")
    assert ChangeIncidentLink.objects.filter(relation="fixes").exists()

    page.goto(f"/changes/{change.reference}/")
    page.locator("#act-implement summary").click()
    page.locator("#act-implement textarea").fill("Relay 2.4 rolled out.")
    page.locator("#act-implement").get_by_role("button", name="Record implementation").click()
    expect(page.get_by_test_id("status")).to_have_text("Implemented")
    page.locator("#act-close summary").click()
    page.locator("#act-close").get_by_label("Failed").check()
    page.locator("#act-close").get_by_role("button", name="Close").click()  # no reason given: refused
    expect(page.locator("#act-close [role=alert]")).to_have_text(
        f"{change.reference} did not succeed: say why in failure_reason."
    )
    page.locator("#act-close").get_by_label("Succeeded").check()
    page.locator("#act-close").get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    expect(page.locator(".timeline > ol > li")).to_have_count(5)  # create, approve, link, update, close
    assert desk.problems == [], desk.problems

"""The change pages through the Django test client: the list with the API's filters, the CAB
queue, the request form, the change page (exactly the viewer's actions, the timeline, a
refusal shown once beside its form), the incident's change panels and its link-change form."""

import re

import pytest
from django.test import Client

from changes.models import Change, ChangeIncidentLink
from changes.services import CHANGES
from tests.changes.factories import window

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def action_panels(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def test_the_list_shows_changes_with_the_apis_filters(cast, chg):
    pending, approved = chg("pending", summary="Patch relay"), chg("approved", summary="Rotate keys")
    client = client_for(cast.analyst)
    html = client.get("/changes/").content.decode()
    assert pending.reference in html and approved.reference in html
    html = client.get("/changes/?status=approved").content.decode()
    assert approved.reference in html and pending.reference not in html
    html = client.get("/changes/?q=relay").content.decode()
    assert pending.reference in html and approved.reference not in html
    response = client.get("/changes/?status=done")
    assert response.status_code == 200 and "Some filters are invalid" in response.content.decode()
    assert pending.reference not in response.content.decode()


def test_pages_are_for_staff(cast, chg):
    change = chg("pending")
    client = client_for(cast.reporter)
    for url in ("/changes/", f"/changes/{change.reference}/", "/changes/new/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Changes are for IT staff" in response.content.decode()
    assert Client().get("/changes/").status_code == 302  # to the sign-in page
    assert client_for(cast.analyst).get("/changes/CHG-999999/").status_code == 404


def test_the_navigation_offers_changes_to_staff_and_the_cab_queue_to_the_cab(cast):
    def nav(user):
        html = client_for(user).get("/my/").content.decode()
        return re.findall(
            r'<a href="(/changes/[a-z/]*)">', html.split('aria-label="Main"')[1].split("</nav>")[0]
        )

    assert nav(cast.analyst) == ["/changes/"]
    assert nav(cast.cm) == ["/changes/", "/changes/cab/"]
    assert nav(cast.im) == ["/changes/", "/changes/cab/"]
    assert nav(cast.reporter) == []


def test_the_cab_queue_lists_pending_changes_oldest_first_and_bypassed_ones(cast, chg):
    first, second, bypassed = chg("pending"), chg("pending"), chg("bypassed")
    chg("approved")
    response = client_for(cast.cm).get("/changes/cab/")
    html = response.content.decode()
    assert [c.reference for c in response.context["pending"]] == [first.reference, second.reference]
    assert [c.reference for c in response.context["retrospective"]] == [bypassed.reference]
    assert html.index(first.reference) < html.index(second.reference)
    assert client_for(cast.im).get("/changes/cab/").status_code == 200
    refused = client_for(cast.analyst).get("/changes/cab/")
    assert (
        refused.status_code == 403 and "for change managers and incident managers" in refused.content.decode()
    )


def test_the_request_form_creates_a_change(cast, svc, make):
    incident = make("in_progress")
    client = client_for(cast.analyst)
    assert client.get(f"/changes/new/?incident={incident.reference}").status_code == 200
    start, end = window()
    response = client.post("/changes/new/", {
        "summary": "Upgrade the relay", "type": "normal", "risk": "low", "rollback_plan": "Reinstall.",
        "window_start": start.strftime("%Y-%m-%dT%H:%M"), "window_end": end.strftime("%Y-%m-%dT%H:%M"),
        "affected_services": [svc.reference], "incident": incident.reference.lower(),
    })  # fmt: skip
    change = Change.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.reference}/"
    assert ChangeIncidentLink.objects.get().incident == incident


def test_a_refused_request_is_shown_once_beside_the_form(cast, svc):
    body = {
        "summary": "Upgrade the relay",
        "type": "emergency",
        "risk": "low",
        "affected_services": [svc.reference],
    }
    response = client_for(cast.analyst).post("/changes/new/", body)
    html = response.content.decode()
    message = "An emergency change needs a rollback plan: how to undo it if it fails."
    assert response.status_code == 200 and html.count(message) == 1
    assert html.index(message) < html.index('name="summary"')  # above the form's fields
    assert not Change.objects.exists()


@pytest.mark.parametrize(
    ("state", "kw", "who"),
    [
        ("pending", {}, "cm"), ("pending", {}, "analyst"), ("pending", {"type": "emergency"}, "im"),
        ("pending", {"type": "emergency"}, "cm"), ("approved", {}, "devops"), ("approved", {}, "auditor"),
        ("implemented", {}, "cm"), ("bypassed", {}, "cm"), ("bypassed", {}, "im"), ("retro", {}, "im"),
        ("closed", {}, "cm"),
    ],
)  # fmt: skip
def test_the_change_page_offers_exactly_the_allowed_actions(cast, chg, state, kw, who):
    change = chg(state, **kw)
    user = getattr(cast, who)
    html = client_for(user).get(f"/changes/{change.reference}/").content.decode()
    assert action_panels(html) == CHANGES.allowed_actions(user, change)


def test_the_change_page_shows_its_timeline_and_incidents(cast, chg, make):
    incident = make("in_progress")
    change = chg("approved", incident=incident.reference)
    response = client_for(cast.analyst).get(f"/changes/{change.reference}/")
    assert [e["action"] for e in response.context["timeline"]] == ["create", "approve"]
    html = response.content.decode()
    assert f'href="/incidents/{incident.reference}/"' in html and "raised for" in html


def test_an_action_posted_from_the_page_runs_the_service(cast, chg):
    change = chg("pending")
    response = client_for(cast.cm).post(
        f"/changes/{change.reference}/act/approve/", {"comment": "Go.", "version": change.version}
    )
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.reference}/"
    assert Change.objects.get(pk=change.pk).status == "approved"


def test_a_refused_action_is_shown_once_beside_its_form(cast, chg):
    change = chg("pending", requester=cast.cm)
    response = client_for(cast.cm).post(
        f"/changes/{change.reference}/act/approve/", {"version": change.version}
    )
    html = response.content.decode()
    message = f"You requested {change.reference}; another change manager must approve it."
    assert response.status_code == 200 and html.count(message) == 1
    panel = html[html.index('id="act-approve"') :]
    assert panel.index(message) < panel.index("</details>")  # inside the approve panel, open
    assert Change.objects.get(pk=change.pk).status == "pending"
    # a form error: the reason the CAB must give
    response = client_for(cast.cm2).post(f"/changes/{change.reference}/act/reject/", {"reason": ""})
    html = response.content.decode()
    assert response.status_code == 200 and html.count("Check the highlighted fields.") == 1
    assert "open" in html[html.index('id="act-reject"') :].split(">")[0]


def test_a_stale_form_is_a_conflict_on_the_page(cast, chg):
    change = chg("pending")
    response = client_for(cast.cm).post(f"/changes/{change.reference}/act/approve/", {"version": 99})
    assert response.status_code == 200
    assert f"{change.reference} changed since you loaded it" in response.content.decode()


def test_the_close_form_takes_the_outcome(cast, chg):
    change = chg("implemented")
    client = client_for(cast.cm)
    refused = client.post(f"/changes/{change.reference}/act/close/", {"success": "false"})
    assert refused.status_code == 200
    assert f"{change.reference} did not succeed: say why in failure_reason." in refused.content.decode()
    done = client.post(
        f"/changes/{change.reference}/act/close/", {"success": "false", "failure_reason": "Rolled back."}
    )
    assert done.status_code == 302
    change = Change.objects.get(pk=change.pk)
    assert (change.status, change.success, change.failure_reason) == ("closed", False, "Rolled back.")


# ---- on the incident page ---------------------------------------------------------------
def test_the_incident_page_shows_its_changes_the_enrichment_and_the_link_form(cast, chg, make, svc):
    from catalog.models import Service

    core = Service.objects.create(name="Directory")
    svc.depends_on.add(core)
    incident = make("in_progress")
    neighbour = make("open", service=core)
    linked = chg("approved", incident=incident.reference)
    recent = chg("implemented", affected_services=[core.reference])
    html = client_for(cast.analyst).get(f"/incidents/{incident.reference}/").content.decode()
    assert 'data-testid="incident-changes"' in html and linked.reference in html
    assert 'data-action="link_change"' in html
    recent_panel = html[html.index('data-testid="recent-changes"') :]
    assert recent.reference in recent_panel.split("</section>")[0]
    related_panel = html[html.index('data-testid="related-incidents"') :]
    assert neighbour.reference in related_panel.split("</section>")[0]
    mine = client_for(cast.reporter).get(f"/incidents/{incident.reference}/").content.decode()
    assert 'data-testid="incident-changes"' not in mine and linked.reference not in mine
    assert 'data-testid="recent-changes"' not in mine


def test_the_link_form_links_a_change_and_shows_a_refusal_once(cast, chg, make):
    incident, approved, pending = make("in_progress"), chg("approved"), chg("pending")
    client = client_for(cast.analyst)
    url = f"/incidents/{incident.reference}/link-change/"
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"change": pending.reference, "relation": "fixes", "version": incident.version}
    )
    message = (
        f"{pending.reference} is pending; only an approved, standard or emergency-implemented change can be "
    )
    message += "linked."
    assert refused.status_code == 200 and refused.content.decode().count(message) == 1
    done = client.post(
        url, {"change": approved.reference.lower(), "relation": "fixes", "version": incident.version}
    )
    assert done.status_code == 302 and done["Location"] == f"/incidents/{incident.reference}/"
    assert ChangeIncidentLink.objects.get().change == approved
    assert client_for(cast.auditor).get(url).status_code == 403
    assert client_for(cast.other_user).get(url).status_code == 404

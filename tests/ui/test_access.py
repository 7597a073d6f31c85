"""Every URL of the desk, as anonymous (sent to sign in), as someone who may not see it
(403/404) and as someone who may (200). Plain django.test.Client, no browser."""

from urllib.parse import quote

import pytest
from django.test import Client

from audit.models import AuditEvent
from incidents import services
from incidents.models import Incident
from incidents.views import ACTIONS
from tests.ui import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user):
    people = {
        "reporter": make_user("end_user"),
        "outsider": make_user("end_user"),
        "analyst": make_user("service_desk", team="service_desk"),
        "manager": make_user("incident_manager", team="incident_manager"),
    }
    incident = factories.report(people["reporter"], title="Printer on fire")
    security = factories.report(people["reporter"], category="security", title="Phishing mail")
    return people, incident, security


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def assert_sent_to_login(response, url):
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"] == f"/login/?next={quote(url)}", response["Location"]


def ui_urls(ref: str) -> list[str]:
    return [
        "/",
        "/incidents/",
        "/incidents/new/",
        "/incidents/duplicates/",
        f"/incidents/{ref}/",
        *(f"/incidents/{ref}/act/{op}/" for op in ACTIONS),
        "/my/",
    ]


def test_every_url_sends_anonymous_to_sign_in(world):
    _, incident, _ = world
    anonymous = client_for()
    for url in ui_urls(incident.reference):
        assert_sent_to_login(anonymous.get(url), url)
    for url in ["/incidents/new/", *(f"/incidents/{incident.reference}/act/{op}/" for op in ACTIONS)]:
        assert_sent_to_login(anonymous.post(url, {"closure_notes": "x"}), url)
    assert client_for().get("/login/").status_code == 200


def test_every_url_answers_200_to_who_may_see_it(world):
    people, incident, _ = world
    ref = incident.reference
    reporter, manager = client_for(people["reporter"]), client_for(people["manager"])
    # the start page sends each to their own page
    assert reporter.get("/")["Location"] == "/my/"
    assert manager.get("/")["Location"] == "/incidents/"
    for url in ("/incidents/", "/incidents/new/", "/incidents/duplicates/", f"/incidents/{ref}/", "/my/"):
        assert manager.get(url).status_code == 200, url
    for url in ("/incidents/new/", "/incidents/duplicates/", f"/incidents/{ref}/", "/my/"):
        assert reporter.get(url).status_code == 200, url
    for op, action in ACTIONS.items():
        url = f"/incidents/{ref}/act/{op}/"
        viewer = reporter if op in ("confirm", "reopen") else manager
        response = viewer.get(url)
        assert response.status_code == 200, url
        assert f'action="{url}"' in response.text and action.label in response.text, url


def test_someone_else_gets_not_found_for_an_incident_and_its_actions(world):
    people, incident, security = world
    ref = incident.reference
    outsider = client_for(people["outsider"])
    before = (Incident.objects.get(pk=incident.pk).version, AuditEvent.objects.count())
    for url in (f"/incidents/{ref}/", *(f"/incidents/{ref}/act/{op}/" for op in ACTIONS)):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.text and "Printer on fire" not in response.text, url
    for op in ACTIONS:  # posting changes nothing either
        url = f"/incidents/{ref}/act/{op}/"
        response = outsider.post(url, {"version": 1, "team": "L1", "closure_notes": "x", "note": "x"})
        assert response.status_code == 404, url
    assert (Incident.objects.get(pk=incident.pk).version, AuditEvent.objects.count()) == before
    # a security incident is hidden from the service desk, not from an incident manager
    url = f"/incidents/{security.reference}/"
    assert client_for(people["analyst"]).get(url).status_code == 404
    assert client_for(people["analyst"]).get(url + "act/log/").status_code == 404
    assert client_for(people["manager"]).get(url).status_code == 200
    # unknown incidents and operations
    assert client_for(people["manager"]).get("/incidents/INC-999999/").status_code == 404
    assert client_for(people["manager"]).get(f"/incidents/{ref}/act/delete/").status_code == 404


def test_an_end_user_never_sees_the_workspace(world):
    """The workspace is for staff: an end user is sent to their own incidents instead (a
    redirect rather than 403, so the "IMS" link and old bookmarks keep working)."""
    people, _, _ = world
    response = client_for(people["reporter"]).get("/incidents/?queue=all")
    assert response.status_code == 302 and response["Location"] == "/my/"


def test_lists_show_only_what_the_viewer_may_see(world):
    people, incident, security = world
    outsider = client_for(people["outsider"])
    page = outsider.get("/my/").text
    assert incident.reference not in page and "You have not reported any incident." in page
    query = f"?affected_service={incident.affected_service.reference}&title=Printer+on+fire"
    assert incident.reference not in outsider.get("/incidents/duplicates/" + query).text
    assert incident.reference in client_for(people["reporter"]).get("/incidents/duplicates/" + query).text
    workspace = client_for(people["analyst"]).get("/incidents/?queue=all").text
    assert incident.reference in workspace and security.reference not in workspace


def test_links_lead_to_the_desk_page_not_the_api(world):
    """The UI's incident page and the API's incident share a reference; every link of the
    desk goes to the page (a URL-name clash once sent them to /api/v1/incidents/…)."""
    people, incident, _ = world
    page = f'href="/incidents/{incident.reference}/"'
    factories.assign(incident, people["manager"], team="L1")
    factories.resolve(incident, people["manager"])
    texts = [
        client_for(people["analyst"]).get("/incidents/?queue=all").text,
        client_for(people["reporter"]).get("/my/").text,
        client_for(people["manager"]).get(f"/incidents/{incident.reference}/act/close/").text,
    ]
    for text in texts:
        assert page in text and "/api/v1/incidents/" not in text
    assert f'href="/incidents/{incident.reference}/#act-confirm"' in texts[1]


def test_the_admin_link_shows_for_the_roles_the_admin_answers_to(world, make_user):
    """Navigation shows what the roles allow: the admin link for admins, incident managers
    and auditors (whether or not Django's staff flag is set), for nobody else."""
    people, _, _ = world
    link = 'href="/admin/"'
    assert link in client_for(people["manager"]).get("/incidents/").text  # not is_staff
    assert link in client_for(make_user("auditor")).get("/incidents/").text
    assert link not in client_for(people["analyst"]).get("/incidents/").text
    assert link not in client_for(people["reporter"]).get("/my/").text
    # the audit link opens the trail's searchable list, which those roles may read
    auditor = client_for(make_user("auditor"))
    assert 'href="/admin/audit/auditevent/"' in auditor.get("/incidents/").text
    assert auditor.get("/admin/audit/auditevent/").status_code == 200
    assert 'href="/admin/audit/auditevent/"' not in client_for(people["analyst"]).get("/incidents/").text


def test_security_incidents_shown_in_desk_lists_are_audited_reads(world, make_user):
    """The workspace, my incidents and the duplicate hints show a security incident's title:
    each is a read (once per LIST_READ_WINDOW for the same person, as the list refreshes)."""
    people, incident, security = world
    reads = AuditEvent.objects.filter(ref_id=security.reference, domain_action="read").order_by("seq")
    manager = client_for(people["manager"])
    assert security.reference in manager.get("/incidents/?queue=all").text
    assert list(reads.values_list("actor_label", "additional_data")) == [
        (people["manager"].username, {"via": "list"})
    ]
    manager.get("/incidents/?queue=all", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-list")
    assert reads.count() == 1  # the 30-second refresh is not a new read
    assert security.reference in client_for(people["reporter"]).get("/my/").text
    assert reads.count() == 2 and reads.last().actor_label == people["reporter"].username
    query = f"?affected_service={security.affected_service.reference}&title=Phishing+mail"
    l3 = make_user("l3", team="L3")
    assert security.reference in client_for(l3).get("/incidents/duplicates/" + query).text
    assert list(reads.values_list("actor_label", "additional_data"))[-1] == (
        l3.username,
        {"via": "duplicates"},
    )
    # the analyst's lists never show it, and read nothing
    assert security.reference not in client_for(people["analyst"]).get("/incidents/?queue=all").text
    assert not reads.filter(actor_label=people["analyst"].username).exists()
    assert not AuditEvent.objects.filter(ref_id=incident.reference, domain_action="read").exists()


def test_the_filter_panel_is_open_without_javascript_and_counts_active_filters(world):
    people, _, _ = world
    analyst = client_for(people["analyst"])
    page = analyst.get("/incidents/?queue=all").text
    assert 'data-more-filters data-active="0" open' in page
    page = analyst.get("/incidents/?queue=all&status=open&priority=P1&q=mail").text
    assert 'data-more-filters data-active="2" open' in page  # the search box is not folded


def _reads(incident) -> list:
    return list(
        AuditEvent.objects.filter(ref_id=incident.reference, domain_action="read").values_list(
            "actor_label", flat=True
        )
    )


def test_an_action_form_is_refused_to_who_may_not_take_the_action(world, make_user):
    """Issue 15 #3: the form of an operation opens only for who may take it; an L2 engineer
    opening the assign form gets 403 with the reason, not a form to fill in."""
    people, incident, _ = world
    l2 = make_user("l2", team="L2")
    response = client_for(l2).get(f"/incidents/{incident.reference}/act/assign/")
    assert response.status_code == 403
    assert f"Your role may not assign {incident.reference}." in response.text
    assert 'name="team"' not in response.text
    response = client_for(people["reporter"]).get(f"/incidents/{incident.reference}/act/close/")
    assert response.status_code == 403
    assert f"Your role may not close {incident.reference}." in response.text


def test_the_action_form_of_a_security_incident_is_an_audited_read(world):
    """Issue 15 #3: the action form shows the record, so it is a read like the page."""
    people, _, security = world
    manager = people["manager"]
    assert _reads(security) == []
    response = client_for(manager).get(f"/incidents/{security.reference}/act/log/")
    assert response.status_code == 200 and "Phishing mail" in response.text
    assert _reads(security) == [manager.username]


def test_a_refused_post_on_a_security_incident_re_renders_an_audited_read(world):
    """Issue 15 #3: a refused POST shows the incident page again, which is a read."""
    people, _, security = world
    manager = people["manager"]
    client = client_for(manager)
    refused = client.post(f"/incidents/{security.reference}/act/close/", {"closure_notes": "Done."})
    assert refused.status_code == 200 and "Phishing mail" in refused.text
    assert "only an incident that is resolved can be closed" in refused.text
    invalid = client.post(f"/incidents/{security.reference}/act/close/", {"closure_notes": ""})
    assert invalid.status_code == 200 and "Check the highlighted fields." in invalid.text
    assert _reads(security) == [manager.username, manager.username]


def test_the_reporter_page_shows_no_work_notes(world):
    """Issue 15 #4: the reporter's incident page leaves out diagnosis, escalation reasons,
    the team's notices and messages to other groups; staff see them."""
    people, incident, _ = world
    ref = incident.reference
    manager = people["manager"]
    factories.assign(incident, manager, team="L2")
    services.incident_diagnose(incident=ref, actor=manager, steps="Toner sensor reports garbage.")
    services.incident_escalate(incident=ref, actor=manager, target="L3", reason="Firmware bug suspected.")
    services.incident_communicate(
        incident=ref, actor=manager, recipients=["executives"], message="Exec memo."
    )
    services.incident_communicate(
        incident=ref, actor=manager, recipients=["end_users"], message="Working on it."
    )
    page = client_for(people["reporter"]).get(f"/incidents/{ref}/").text
    for secret in ("Toner sensor", "Firmware bug suspected", "Exec memo", "escalation notice"):
        assert secret not in page, secret
    assert "Working on it." in page and "Printer on fire" in page
    staff_page = client_for(manager).get(f"/incidents/{ref}/").text
    for note in ("Toner sensor", "Firmware bug suspected", "Exec memo", "Working on it."):
        assert note in staff_page, note

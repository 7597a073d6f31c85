"""The desk's forms as plain HTML POSTs (no JavaScript), with CSRF enforced: every SOP goes
through; a refusal is shown beside its form and changes nothing; a stale version shows
the conflict with a reload link."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from catalog.models import Vendor
from communications.models import Communication
from incidents.models import Incident
from incidents.views import ACTIONS
from tests.ui import factories

pytestmark = pytest.mark.django_db


class Forms(HTMLParser):
    """The POST forms of a page, as a browser would submit them untouched: action ->
    {field name: value or list of values} (inputs, checked boxes, selected options, text)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._form: dict | None = None
        self._select: tuple[str, bool, list] | None = None  # name, multiple, options
        self._textarea: str | None = None
        self.feed(html)

    def _add(self, name: str, value: str) -> None:
        current = self._form.get(name)
        self._form[name] = (
            value if current is None else [*([current] if isinstance(current, str) else current), value]
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = self.forms.setdefault(attrs.get("action") or "", {})
        if self._form is None or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(attrs["name"], attrs.get("value", "on"))
            elif kind not in ("submit", "button"):
                self._add(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self._select = (attrs["name"], "multiple" in attrs, [])
        elif tag == "option" and self._select is not None:
            self._select[2].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not multiple:
                chosen = [options[0][0]]
            for value in chosen:
                self._add(name, value)
            self._select = None


def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def submit(client: Client, page: str, action: str, data: dict):
    """Load ``page`` and post its form ``action`` with what it holds, changed by ``data``, as a
    browser without JavaScript would."""
    response = client.get(page)
    assert response.status_code == 200, page
    forms = Forms(response.text).forms
    assert action in forms, f"no form posting to {action} on {page}: {sorted(forms)}"
    return client.post(action or page, {**forms[action], **data})


def state(incident) -> tuple:
    fresh = Incident.objects.get(pk=incident.pk)
    return fresh.status, fresh.version, AuditEvent.objects.count(), Communication.objects.count()


@pytest.fixture
def people(make_user):
    return {
        "reporter": make_user("end_user"),
        "analyst": make_user("service_desk", team="service_desk"),
        "manager": make_user("incident_manager", team="incident_manager"),
        "l2": make_user("l2", team="L2"),
    }


def test_every_operation_works_as_a_plain_post(people):
    reporter, manager = browser(people["reporter"]), browser(people["manager"])
    vendor = Vendor.objects.create(name="Contoso")
    service = factories.service("VPN")

    response = submit(
        reporter,
        "/incidents/new/",
        "",  # the report form posts to its own URL
        {
            "affected_service": service.reference,
            "category": "network",
            "title": "VPN drops every five minutes",
            "description": "Since this morning.",
            "impact": "high",
            "urgency": "high",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="VPN drops every five minutes")
    assert response["Location"] == f"/incidents/{incident.reference}/"
    assert (incident.priority, incident.status, incident.reporter) == ("P1", "open", people["reporter"])
    page = f"/incidents/{incident.reference}/"
    assert f"{incident.reference} reported with priority P1." in reporter.get(page).text

    steps = [  # (who, operation, fields, status afterwards)
        (manager, "log", {"description": "Affects the Berlin office."}, "open"),
        (manager, "categorize", {"category": "network", "subcategory": "vpn"}, "open"),
        (manager, "set_major_roles", {"incident_commander": people["manager"].username}, "open"),
        (manager, "assign", {"team": "L2", "assignee": people["l2"].username}, "in_progress"),
        (manager, "diagnose", {"steps": "Concentrator log shows DPD timeouts."}, "in_progress"),
        (manager, "escalate", {"target": "L3", "reason": "Firmware bug suspected."}, "escalated"),
        (manager, "engage_vendor", {"vendor": vendor.reference, "contact_method": "phone"}, "pending_vendor"),
        (manager, "vendor_responded", {"note": "Patch available."}, "in_progress"),
        (manager, "communicate", {"recipients": ["end_users"], "message": "Patch tonight."}, "in_progress"),
        (
            manager,
            "prioritize",
            {"impact": "medium", "urgency": "medium", "justification": "Workaround."},
            None,
        ),
        (manager, "resolve", {"resolution_summary": "Patched.", "service_restored": "on"}, "resolved"),
        (reporter, "reopen", {"reason": "Dropped again at 17:00."}, "in_progress"),
        (reporter, "comment", {"message": "It drops every hour now."}, "in_progress"),
        (manager, "resolve", {"resolution_summary": "Patched twice.", "service_restored": "on"}, "resolved"),
        (reporter, "confirm", {"note": "Stable since."}, "closed"),
    ]
    for client, op, fields, status in steps:
        before = Incident.objects.get(pk=incident.pk)
        response = submit(client, page, f"{page}act/{op}/", fields)
        assert response.status_code == 302, (op, response.status_code, _error(response))
        assert response["Location"] == page
        after = Incident.objects.get(pk=incident.pk)
        assert after.version == before.version + 1, op
        if status:
            assert after.status == status, op
        assert f"{incident.reference}: {ACTIONS[op].label.lower()} done." in client.get(page).text
    closed = Incident.objects.get(pk=incident.pk)
    assert (closed.priority, closed.category, closed.subcategory) == ("P3", "network", "vpn")
    assert closed.incident_commander == people["manager"] and closed.assigned_team.code == "L3"
    assert closed.closure_notes.startswith("Restoration confirmed by the reporter.")
    assert {op for _, op, _, _ in steps} == set(ACTIONS) - {"close"}

    other = factories.report(people["reporter"], priority="P4")
    factories.assign(other, people["manager"], team="L2")
    factories.resolve(other, people["l2"])
    other_page = f"/incidents/{other.reference}/"
    # the desk closes a P3/P4 once its grace period is over (issue 15 #7)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=False):
        analyst = browser(people["analyst"])
        response = submit(analyst, other_page, f"{other_page}act/close/", {"closure_notes": "Done."})
    assert response.status_code == 302 and Incident.objects.get(pk=other.pk).status == "closed"


def test_the_act_page_form_works_without_the_incident_page(people):
    incident = factories.report(people["reporter"])
    url = f"/incidents/{incident.reference}/act/assign/"
    client = browser(people["analyst"])
    response = submit(client, url, url, {"team": "L1"})
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).assigned_team.code == "L1"


def _error(response) -> str:
    match = re.search(r'data-testid="error">\s*<strong>(.*?)</strong>', response.content.decode())
    return match.group(1) if match else ""


def _panel(response, op: str) -> str:
    match = re.search(rf'<details [^>]*id="act-{op}"[^>]*>(.*?)</details>', response.text, re.S)
    assert match, f"no {op} panel"
    return match.group(0)


def test_a_refusal_is_shown_beside_its_form_and_changes_nothing(people):
    p1 = factories.report(people["reporter"], priority="P1")
    factories.assign(p1, people["manager"], team="L2")
    factories.resolve(p1, people["l2"])
    page = f"/incidents/{p1.reference}/"
    analyst = browser(people["analyst"])
    assert 'id="act-close"' not in analyst.get(page).text  # no Close button offered
    before = state(p1)

    url = f"{page}act/close/"
    message = (
        f"{p1.reference} is P1: only an incident manager or a service desk manager may close a "
        "high-priority incident."
    )
    form_page = analyst.get(url)  # nor its form (issue 15 #3)
    assert form_page.status_code == 403 and message in form_page.text
    token = next(iter(Forms(analyst.get(page).text).forms.values()))["csrfmiddlewaretoken"]
    response = analyst.post(
        url, {"csrfmiddlewaretoken": token, "version": before[1], "closure_notes": "Closing it myself."}
    )

    assert response.status_code == 200
    assert _error(response) == message
    panel = _panel(response, "close")
    assert " open " in panel.split(">", 1)[0] + " "  # the refused form stays open…
    assert f'<p class="error" role="alert">{message}</p>' in panel  # …with the message in it
    assert "Closing it myself." in panel  # and what was typed
    assert state(p1) == before


def test_a_service_validation_error_is_shown_beside_its_form(people):
    incident = factories.report(people["reporter"])
    factories.assign(incident, people["manager"], team="L2")
    page = f"/incidents/{incident.reference}/"
    before = state(incident)
    response = submit(
        browser(people["manager"]), page, f"{page}act/resolve/", {"resolution_summary": "Rebooted."}
    )
    assert response.status_code == 200
    message = "An incident is resolved only once service is restored: confirm service_restored."
    assert _error(response) == message
    assert message in _panel(response, "resolve")
    assert state(incident) == before


def test_an_invalid_form_marks_its_fields_and_changes_nothing(people):
    incident = factories.report(people["reporter"])
    page = f"/incidents/{incident.reference}/"
    before = state(incident)
    response = submit(
        browser(people["manager"]), page, f"{page}act/escalate/", {"target": "L2", "reason": ""}
    )
    assert response.status_code == 200
    assert _error(response) == "Check the highlighted fields."
    panel = _panel(response, "escalate")
    assert "This field is required." in panel and 'value="L2" selected' in panel
    assert state(incident) == before


def test_a_stale_form_shows_the_conflict_and_offers_a_reload(people):
    incident = factories.report(people["reporter"])
    page = f"/incidents/{incident.reference}/"
    analyst, manager = browser(people["analyst"]), browser(people["manager"])
    loaded = Forms(analyst.get(page).text).forms  # the analyst loads the page…
    assert (
        manager.post(  # …the manager changes the incident meanwhile…
            f"{page}act/assign/", {**Forms(manager.get(page).text).forms[f"{page}act/assign/"], "team": "L1"}
        ).status_code
        == 302
    )
    before = state(incident)

    stale = loaded[f"{page}act/log/"]  # …and the analyst submits the form loaded before
    response = analyst.post(f"{page}act/log/", {**stale, "diagnosis": "Looks like DNS."})

    assert response.status_code == 200
    assert _error(response) == (
        f"{incident.reference} changed since you loaded it (version {stale['version']}, now "
        f"{before[1]}). Reload it and try again."
    )
    assert f'<a href="{page}" class="btn">Reload {incident.reference}</a>' in response.text
    assert "Looks like DNS." in _panel(response, "log")  # the text is not lost
    assert state(incident) == before
    # the page behind the reload link carries the current version, and the form then works
    response = submit(analyst, page, f"{page}act/log/", {"diagnosis": "Looks like DNS."})
    assert response.status_code == 302 and "Looks like DNS." in Incident.objects.get(pk=incident.pk).diagnosis


def test_a_report_refused_by_the_service_is_shown_and_creates_nothing(people):
    analyst = browser(people["analyst"])  # a detection time is for staff (issue 15 #5)
    count = Incident.objects.count()
    response = submit(
        analyst,
        "/incidents/new/",
        "",
        {
            "affected_service": factories.service().reference,
            "category": "software",
            "title": "Clock skew",
            "impact": "low",
            "urgency": "low",
            "detected_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "detection_source": "user_report",
        },
    )
    assert response.status_code == 200
    assert _error(response) == "detected_at is in the future."
    assert 'value="Clock skew"' in response.text  # the form keeps what was typed
    assert Incident.objects.count() == count
    assert 'name="detected_at"' not in browser(people["reporter"]).get("/incidents/new/").text

    response = submit(
        browser(people["reporter"]), "/incidents/new/", "", {"title": "", "impact": "low", "urgency": "low"}
    )
    assert response.status_code == 200 and "This field is required." in response.text
    assert Incident.objects.count() == count


def test_posting_without_the_csrf_token_is_refused(people):
    incident = factories.report(people["reporter"])
    client = browser(people["manager"])
    response = client.post(f"/incidents/{incident.reference}/act/assign/", {"team": "L1"})
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == "open"

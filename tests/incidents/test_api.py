"""The incident REST API (API.md) through real HTTP requests with tokens: create, every
action URL, validation, PATCH, optimistic concurrency, list filters, visibility, audited
reads of security incidents, list query count, communications and vendor engagements."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.verify import verify_chain
from catalog.models import Service
from communications.models import Communication
from incidents import services
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, VendorEngagement
from tests.helpers import assert_error
from tests.incidents.factories import incident_in, reload

INCIDENTS = "/api/v1/incidents/"
ENGAGEMENTS = "/api/v1/vendor-engagements/"
ACTIVE_TEXT = "open, in_progress, escalated or pending_vendor"


def url(ref: str, action: str | None = None) -> str:
    return f"{INCIDENTS}{ref}/" + (f"{action}/" if action else "")


@pytest.fixture(autouse=True)
def _fast_users(settings):
    settings.IMS_GRACE_PERIOD_DAYS = 3


def state(incident) -> dict:
    """The stored row and the audit/communication/engagement counts: unchanged by refusals."""
    return {
        "row": Incident.objects.filter(pk=incident.pk).values().get(),
        "audit": AuditEvent.objects.count(),
        "communications": Communication.objects.count(),
        "engagements": VendorEngagement.objects.count(),
    }


# ---- create ------------------------------------------------------------------------------
def test_create_answers_201_with_reference_duplicates_and_allowed_actions(api, people, svc):
    body = {
        "title": "Payroll export fails",
        "description": "The nightly export stops at 40 %.",
        "category": "software",
        "impact": "high",
        "urgency": "high",
        "affected_service": svc.reference,
        "reporter": people.reporter.username,
    }
    response = api(people.analyst).post(INCIDENTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert re.fullmatch(r"INC-\d{6}", data["id"])
    assert data["possible_duplicates"] == []
    assert data["allowed_actions"] == [
        "log",
        "edit",
        "categorize",
        "prioritize",
        "diagnose",
        "assign",
        "escalate",
        "communicate",
        "comment",
    ]
    assert (data["status"], data["priority"], data["version"]) == ("open", "P1", 1)
    assert (data["reporter"], data["affected_service"]) == (people.reporter.username, svc.reference)
    assert data["detection_source"] == "user_report"
    assert response["ETag"] == '"1"'
    stored = Incident.objects.get(reference=data["id"])
    assert (stored.title, stored.reporter, stored.priority) == ("Payroll export fails", people.reporter, "P1")
    event = AuditEvent.objects.get(ref_id=data["id"])
    assert (event.domain_action, event.actor_label) == ("identify", people.analyst.username)

    again = api(people.im).post(INCIDENTS, {**body, "title": "Payroll export failing"}, format="json")
    assert again.status_code == 201
    duplicates = again.json()["possible_duplicates"]
    assert [(d["id"], d["title"], d["status"]) for d in duplicates] == [
        (data["id"], "Payroll export fails", "open")
    ]
    assert set(duplicates[0]) == {"id", "title", "status", "created_at"}
    assert again.json()["allowed_actions"][-1] == "set_major_roles"  # a P1, for an incident manager


def test_create_by_end_user_in_another_name_is_403(api, people, svc):
    body = {
        "title": "Printer jam",
        "impact": "low",
        "urgency": "low",
        "affected_service": svc.reference,
        "reporter": people.other_user.username,
    }
    before = Incident.objects.count(), AuditEvent.objects.count()
    response = api(people.reporter).post(INCIDENTS, body, format="json")
    assert_error(
        response, 403, "permission_denied", message="End users report incidents in their own name only."
    )
    assert (Incident.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            {"priority": "P1", "priority_justification": "Everything is urgent."},
            "priority",
            "An explicit priority is set by the service desk: your report's priority comes from its "
            "impact and urgency (P4).",
        ),
        (
            {"detection_source": "monitoring_tool"},
            "detection_source",
            "Reports from people are user_report; monitoring_tool is set by staff and integrations.",
        ),
        (
            {"detected_at": "1970-01-01T00:00:00Z"},
            "detected_at",
            "A detection time in the past is given by staff and integrations; your report is "
            "detected when you send it.",
        ),
    ],
    ids=["priority", "detection_source", "detected_at"],
)
def test_create_by_end_user_refuses_fields_that_drive_paging_and_compliance(
    api, people, svc, extra, field, message
):
    """Issue 15 #5 (SPEC.md "Who sets what at creation"): end users give title, description,
    category, impact, urgency and service, and may flag a personal-data breach."""
    body = {"title": "Printer jam", "impact": "low", "urgency": "low", "affected_service": svc.reference}
    before = Incident.objects.count(), AuditEvent.objects.count()
    response = api(people.reporter).post(INCIDENTS, {**body, **extra}, format="json")
    error = assert_error(response, 403, "permission_denied", message=message)
    assert error["fields"] == {field: ["Set by staff and integrations only."]}
    assert (Incident.objects.count(), AuditEvent.objects.count()) == before


def test_create_by_end_user_may_flag_a_breach_and_give_the_matrix_priority(api, people, svc):
    body = {
        "title": "Customer list mailed to the wrong person",
        "impact": "medium",
        "urgency": "high",
        "affected_service": svc.reference,
        "priority": "P2",
        "detection_source": "user_report",
        "is_personal_data_breach": True,
    }
    response = api(people.reporter).post(INCIDENTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["priority"], data["is_personal_data_breach"]) == ("P2", True)


def test_create_by_staff_may_not_backdate_detection_beyond_90_days(api, people, svc):
    body = {
        "title": "Disk alarm",
        "impact": "low",
        "urgency": "low",
        "affected_service": svc.reference,
        "detection_source": "monitoring_tool",
        "detected_at": "1970-01-01T00:00:00Z",
    }
    response = api(people.analyst).post(INCIDENTS, body, format="json")
    error = assert_error(
        response, 400, "validation_error", message="detected_at is more than 90 days in the past."
    )
    assert error["fields"] == {"detected_at": ["Must be within the last 90 days."]}
    assert not Incident.objects.exists()
    body["detected_at"] = "2026-12-01T08:00:00Z"
    with time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), tick=False):
        response = api(people.analyst).post(INCIDENTS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["detected_at"] == "2026-12-01T08:00:00Z"


def test_create_off_matrix_priority_without_justification_is_400(api, people, svc):
    body = {
        "title": "Slow",
        "impact": "low",
        "urgency": "low",
        "affected_service": svc.reference,
        "priority": "P2",
    }
    response = api(people.analyst).post(INCIDENTS, body, format="json")
    error = assert_error(
        response,
        400,
        "validation_error",
        message="Priority P2 differs from the impact × urgency matrix (P4); give a priority_justification.",
    )
    assert error["fields"] == {"priority_justification": ["This field is required."]}
    assert not Incident.objects.exists()


def test_requests_without_a_token_are_401(api, make):
    inc = make("open")
    assert_error(api().get(INCIDENTS), 401, "not_authenticated")
    assert_error(
        api().post(url(inc.reference, "log"), {"description": "x"}, format="json"), 401, "not_authenticated"
    )
    assert reload(inc).version == inc.version


# ---- every action URL --------------------------------------------------------------------
class _Set:
    """Equal to any value but None (a timestamp the action stamped)."""

    def __eq__(self, other):
        return other is not None

    def __repr__(self):
        return "<set>"


SET = _Set()


@dataclass(frozen=True)
class Action:
    path: str
    ok_state: str
    bad_state: str
    allowed_text: str  # the end of the invalid_transition message
    body: Callable  # body(people) -> the request body
    expect: Callable  # expect(people) -> {field: value} the 200 body must show
    actor: str = "im"
    priority: str = "P3"


ACTIONS = [
    Action("log", "open", "resolved", f"{ACTIVE_TEXT} can be logged",
           lambda p: {"diagnosis": "DNS is slow.", "workaround": "Use webmail."},
           lambda p: {"status": "open", "workaround": "Use webmail.", "has_workaround": True}),
    Action("categorize", "open", "resolved", f"{ACTIVE_TEXT} can be categorized",
           lambda p: {"category": "network", "subcategory": "VPN"},
           lambda p: {"category": "network", "subcategory": "VPN"}),
    Action("prioritize", "open", "resolved", f"{ACTIVE_TEXT} can be prioritized",
           lambda p: {"impact": "high", "urgency": "high", "justification": "Payroll day."},
           lambda p: {"impact": "high", "urgency": "high", "priority": "P1",
                      "priority_justification": "Payroll day.", "is_major": True}),
    Action("assign", "open", "pending_vendor", "open, in_progress or escalated can be assigned",
           lambda p: {"team": "L1", "assignee": p.l1.username},
           lambda p: {"status": "in_progress", "assigned_team": "L1", "assignee": p.l1.username,
                      "acknowledged_at": SET}),
    Action("diagnose", "in_progress", "resolved", f"{ACTIVE_TEXT} can be diagnosed",
           lambda p: {"steps": "Read the logs.", "workaround": "Restart."},
           lambda p: {"workaround": "Restart.", "has_workaround": True}),
    Action("escalate", "in_progress", "resolved", "open, in_progress or escalated can be escalated",
           lambda p: {"target": "L2", "reason": "Needs database access."},
           lambda p: {"status": "escalated", "assigned_team": "L2", "assignee": None,
                      "escalation_target": "L2", "escalation_reason": "Needs database access.",
                      "escalation_count": 1, "escalated_at": SET}),
    Action("engage-vendor", "in_progress", "open", "in_progress or escalated can be handed to a vendor",
           lambda p: {"vendor": p.vendor.reference, "contact_method": "email", "vendor_reference": "CASE-1"},
           lambda p: {"status": "pending_vendor"}),
    Action("vendor-responded", "pending_vendor", "in_progress",
           "pending_vendor can be marked as answered by the vendor",
           lambda p: {"note": "Firmware patched."}, lambda p: {"status": "in_progress"}),
    Action("resolve", "in_progress", "open", "in_progress, escalated or pending_vendor can be resolved",
           lambda p: {"resolution_summary": "Replaced the disk.", "service_restored": True},
           lambda p: {"status": "resolved", "resolution_summary": "Replaced the disk.",
                      "service_restored": True, "resolved_at": SET, "grace_period_ends_at": SET}),
    Action("communicate", "in_progress", "closed",
           "open, in_progress, escalated, pending_vendor or resolved can be communicated on",
           lambda p: {"recipients": ["stakeholders"], "message": "Fix expected by noon."},
           lambda p: {"status": "in_progress", "last_stakeholder_update_at": SET}),
    Action("confirm", "resolved", "in_progress", "resolved can be confirmed as restored",
           lambda p: {"note": "Works again."},
           lambda p: {"status": "closed", "closed_at": SET,
                      "closure_notes": "Restoration confirmed by the reporter. Works again."},
           actor="reporter"),
    Action("reopen", "resolved", "closed", "resolved can be reopened", lambda p: {"reason": "Broken again."},
           lambda p: {"status": "in_progress", "reopen_count": 1, "resolved_at": None,
                      "service_restored": False}, actor="reporter"),
    Action("close", "resolved", "in_progress", "resolved can be closed", lambda p: {"closure_notes": "Done."},
           lambda p: {"status": "closed", "closure_notes": "Done.", "closed_at": SET}),
    Action("major-roles", "open", "closed",
           "open, in_progress, escalated, pending_vendor or resolved can be given major-incident roles",
           lambda p: {"incident_commander": p.im.username, "technical_lead": p.l3.username},
           lambda p: {"incident_commander": p.im.username, "technical_lead": p.l3.username,
                      "communications_lead": None}, priority="P1"),
]  # fmt: skip
ACTION_IDS = [a.path for a in ACTIONS]


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_every_action_answers_200_with_the_new_state(action, api, people, make):
    inc = make(action.ok_state, priority=action.priority)
    audit_before = AuditEvent.objects.count()
    response = api(getattr(people, action.actor)).post(url(inc.reference, action.path), action.body(people))
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["id"], data["version"]) == (inc.reference, inc.version + 1)
    assert response["ETag"] == f'"{inc.version + 1}"'
    assert isinstance(data["allowed_actions"], list)
    expected = action.expect(people)
    assert {key: data[key] for key in expected} == expected
    stored = reload(inc)
    assert (stored.status, stored.version) == (data["status"], data["version"])
    # one event per operation; SOP 6 also audits the acknowledgement it sends (notify)
    acknowledges = action.path == "assign" and inc.acknowledged_at is None
    assert AuditEvent.objects.count() == audit_before + (2 if acknowledges else 1)


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_every_action_refused_in_a_wrong_state_answers_the_envelope(action, api, people, make):
    inc = make(action.bad_state, priority=action.priority)
    before = state(inc)
    response = api(getattr(people, action.actor)).post(url(inc.reference, action.path), action.body(people))
    error = assert_error(
        response,
        409,
        "invalid_transition",
        message=f"{inc.reference} is {action.bad_state}; only an incident that is {action.allowed_text}.",
    )
    assert error["fields"] == {}
    assert state(inc) == before


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_every_action_refuses_the_auditor_with_403(action, api, people, make):
    inc = make(action.ok_state, priority=action.priority)
    before = state(inc)
    response = api(people.auditor).post(url(inc.reference, action.path), action.body(people))
    assert_error(response, 403, "permission_denied")
    assert state(inc) == before


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_every_action_on_a_missing_incident_is_404(action, api, people):
    response = api(people.im).post(url("INC-999999", action.path), action.body(people))
    assert_error(response, 404, "not_found", message="Incident INC-999999 was not found.")


def test_assign_with_a_blank_assignee_from_a_form(api, people, make):
    inc = make("open")
    response = api(people.analyst).post(url(inc.reference, "assign"), {"team": "L1", "assignee": ""})
    assert response.status_code == 200, response.json()
    assert (response.json()["assigned_team"], response.json()["assignee"]) == ("L1", None)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.changes["team"] == [None, "L1"] and "assignee" not in event.changes


def test_close_p1_by_an_analyst_is_403_and_by_its_reporting_manager_is_403_sod(api, people, make):
    inc = make("resolved", priority="P1", reporter=people.sdm)
    before = state(inc)
    assert_error(
        api(people.analyst).post(url(inc.reference, "close"), {"closure_notes": "Done."}),
        403,
        "permission_denied",
        message=f"{inc.reference} is P1: only an incident manager or a service desk manager may close a "
        "high-priority incident.",
    )
    assert_error(
        api(people.sdm).post(url(inc.reference, "close"), {"closure_notes": "Done."}),
        403,
        "segregation_of_duties",
        message=f"You reported {inc.reference}; a high-priority incident must be closed by another incident "
        "manager or service desk manager.",
    )
    assert state(inc) == before


def test_reopen_after_the_grace_period_is_412(api, people, make):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False) as traveller:
        inc = make("resolved")
        traveller.shift(timedelta(days=3, minutes=1))
        before = state(inc)
        response = api(people.reporter).post(url(inc.reference, "reopen"), {"reason": "Broken again."})
    assert_error(
        response,
        412,
        "precondition_failed",
        message=f"The grace period of {inc.reference} ended at 2026-03-05 10:00 UTC; "
        "report a new incident instead.",
    )
    assert state(inc) == before


# ---- validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "status", "body", "fields"),
    [
        ("log", "open", {"version": 0}, {"version": ["Ensure this value is greater than or equal to 1."]}),
        ("categorize", "open", {"category": "misc"}, {"category": ['"misc" is not a valid choice.']}),
        ("prioritize", "open", {"priority": "P1"}, {"justification": ["This field is required."]}),
        ("assign", "open", {}, {"team": ["This field is required."]}),
        ("assign", "open", {"team": "L9"}, {"team": ['"L9" is not a valid choice.']}),
        ("diagnose", "in_progress", {"steps": ""}, {"steps": ["This field may not be blank."]}),
        ("escalate", "in_progress", {"target": "L2"}, {"reason": ["This field is required."]}),
        (
            "engage-vendor",
            "in_progress",
            {"vendor": "VND-000001", "contact_method": "fax"},
            {"contact_method": ['"fax" is not a valid choice.']},
        ),
        (
            "engage-vendor",
            "in_progress",
            {"vendor": "VND-000001", "contact_method": "email", "vendor_reference": "x" * 101},
            {"vendor_reference": ["Ensure this field has no more than 100 characters."]},
        ),
        (
            "resolve",
            "in_progress",
            {"resolution_summary": "x"},
            {"service_restored": ["This field is required."]},
        ),
        (
            "communicate",
            "in_progress",
            {"recipients": [], "message": "x"},
            {"recipients": ["This list may not be empty."]},
        ),
        (
            "communicate",
            "in_progress",
            {"recipients": ["end_users"], "message": "x", "channel": "sms"},
            {"channel": ['"sms" is not a valid choice.']},
        ),
        (
            "communicate",
            "in_progress",
            {"recipients": ["end_users"], "message": "  "},
            {"message": ["This field may not be blank."]},
        ),
        ("reopen", "resolved", {}, {"reason": ["This field is required."]}),
        ("close", "resolved", {}, {"closure_notes": ["This field is required."]}),
    ],
)
def test_serializer_validation_is_400_naming_the_field(api, people, make, path, status, body, fields):
    inc = make(status)
    before = state(inc)
    response = api(people.im).post(url(inc.reference, path), body, format="json")
    (name, messages), = fields.items()  # fmt: skip
    error = assert_error(response, 400, "validation_error", message=f"Invalid input. {name}: {messages[0]}")
    assert error["fields"] == fields
    assert state(inc) == before


def test_create_validation_names_every_missing_field(api, people):
    response = api(people.analyst).post(INCIDENTS, {"category": "weird"}, format="json")
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {
        "title": ["This field is required."],
        "category": ['"weird" is not a valid choice.'],
        "impact": ["This field is required."],
        "urgency": ["This field is required."],
        "affected_service": ["This field is required."],
    }
    assert error["message"].startswith("Invalid input. title: This field is required.; category: ")
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "message", "fields"),
    [
        (
            "resolve",
            {"resolution_summary": "Fixed.", "service_restored": False},
            "An incident is resolved only once service is restored: confirm service_restored.",
            {"service_restored": ["Must be true."]},
        ),
        (
            "communicate",
            {"recipients": ["reporter"], "message": "Hello."},
            "Unknown recipient group(s): reporter. Use end_users, stakeholders, executives, IT_staff.",
            {"recipients": ["Unknown: reporter"]},
        ),
        (
            "engage-vendor",
            {"vendor": "VND-999999", "contact_method": "email"},
            "No active vendor VND-999999.",
            {"vendor": ["No active vendor VND-999999."]},
        ),
    ],
)
def test_service_validation_is_400_naming_the_field(api, people, make, path, body, message, fields):
    inc = make("in_progress")
    before = state(inc)
    response = api(people.im).post(url(inc.reference, path), body, format="json")
    error = assert_error(response, 400, "validation_error", message=message)
    assert error["fields"] == fields
    assert state(inc) == before


# ---- PATCH -------------------------------------------------------------------------------
def test_patch_title(api, people, make):
    inc = make("in_progress")
    response = api(people.analyst).patch(url(inc.reference), {"title": "Mail down for sales"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["title"], data["version"], data["status"]) == (
        "Mail down for sales",
        inc.version + 1,
        "in_progress",
    )
    assert response["ETag"] == f'"{inc.version + 1}"'
    assert reload(inc).title == "Mail down for sales"
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.domain_action, event.ref_id) == ("update", inc.reference)
    assert event.changes["title"] == [inc.title, "Mail down for sales"]


def test_patch_with_status_is_refused_and_changes_nothing(api, people, make):
    inc = make("in_progress")
    before = state(inc)
    response = api(people.im).patch(
        url(inc.reference), {"status": "closed", "title": "Sneaky"}, format="json"
    )
    error = assert_error(
        response,
        400,
        "validation_error",
        message="status changes only through the incident's actions "
        "(assign/, escalate/, resolve/, close/, …).",
    )
    assert error["fields"] == {"status": ["Read-only; use an action."]}
    assert state(inc) == before


def test_put_is_not_allowed(api, people, make):
    inc = make("open")
    before = state(inc)
    response = api(people.im).put(url(inc.reference), {"title": "x", "status": "closed"}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert state(inc) == before


# ---- versions: ETag, If-Match, body version ----------------------------------------------
def test_etag_equals_the_version(api, people, make):
    inc = make("in_progress")
    response = api(people.analyst).get(url(inc.reference))
    assert response.status_code == 200
    assert response.json()["version"] == inc.version == 2
    assert response["ETag"] == '"2"'


def test_stale_if_match_is_409_conflict(api, people, make):
    inc = make("in_progress")  # version 2
    before = state(inc)
    response = api(people.analyst).post(
        url(inc.reference, "diagnose"), {"steps": "Read the logs."}, format="json", HTTP_IF_MATCH='"1"'
    )
    error = assert_error(
        response,
        409,
        "conflict",
        message=f"{inc.reference} changed since you loaded it (version 1, now 2). Reload it and try again.",
    )
    assert error["fields"] == {"version": 2}
    assert state(inc) == before


def test_stale_body_version_is_409_conflict(api, people, make):
    inc = make("in_progress")
    before = state(inc)
    response = api(people.analyst).post(
        url(inc.reference, "diagnose"), {"steps": "Read the logs.", "version": 1}, format="json"
    )
    assert_error(response, 409, "conflict", contains="(version 1, now 2)")
    assert state(inc) == before


def test_stale_if_match_on_patch_is_409_conflict(api, people, make):
    inc = make("in_progress")
    before = state(inc)
    response = api(people.analyst).patch(
        url(inc.reference), {"title": "New"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_error(response, 409, "conflict")
    assert state(inc) == before


@pytest.mark.parametrize("header", ['"2"', 'W/"2"', "2"])
def test_current_if_match_is_accepted(api, people, make, header):
    inc = make("in_progress")
    response = api(people.analyst).post(
        url(inc.reference, "diagnose"), {"steps": "Read the logs."}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"3"'


def test_malformed_if_match_is_400(api, people, make):
    inc = make("in_progress")
    before = state(inc)
    response = api(people.analyst).post(
        url(inc.reference, "diagnose"), {"steps": "x"}, format="json", HTTP_IF_MATCH='"abc"'
    )
    error = assert_error(
        response, 400, "validation_error", message="If-Match must be the incident's version number."
    )
    assert error["fields"] == {"version": ["Bad If-Match."]}
    assert state(inc) == before


# ---- list filters ------------------------------------------------------------------------
DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def dataset(people, svc, make):
    """Four incidents that differ in every filtered field, created on four days."""
    payroll = Service.objects.create(name="Payroll")
    other_reporter = people.other_user
    with time_machine.travel(DAY1, tick=False) as traveller:
        a = make("open", priority="P1", category="software", title="Database latency",
                 detection_source="monitoring_tool")  # fmt: skip
        traveller.shift(timedelta(days=1))
        b = make("open", priority="P3", category="network", title="VPN drops", reporter=other_reporter,
                 service=payroll)  # fmt: skip
        services.incident_assign(
            incident=b.reference, actor=people.im, team="L1", assignee=people.l1.username
        )
        traveller.shift(timedelta(days=1))
        c = make("escalated", priority="P2", category="hardware", title="Server room alarm",
                 detection_source="automated_alert", escalate_to="L2")  # fmt: skip
        services.incident_log(incident=c.reference, actor=people.im, description="Loud fan noise in rack 4.")
        traveller.shift(timedelta(days=1))
        d = make("resolved", priority="P4", category="performance", title="Slow wiki", team="L1",
                 reporter=other_reporter)  # fmt: skip
    return SimpleNamespace(a=a, b=b, c=c, d=d, payroll=payroll)


FILTERS = [
    ("status=open", lambda ds, p: "status=open", "a"),
    ("status=in_progress", lambda ds, p: "status=in_progress", "b"),
    ("status=multi", lambda ds, p: "status=open&status=escalated", "ac"),
    ("priority", lambda ds, p: "priority=P2", "c"),
    ("priority=multi", lambda ds, p: "priority=P1&priority=P4", "ad"),
    ("category", lambda ds, p: "category=network", "b"),
    ("team", lambda ds, p: "team=L1", "bd"),
    ("assigned_team", lambda ds, p: "assigned_team=L2", "c"),
    ("assignee", lambda ds, p: f"assignee={p.l1.username}", "b"),
    ("assignee=unassigned", lambda ds, p: "assignee=unassigned", "acd"),
    ("affected_service", lambda ds, p: f"affected_service={ds.payroll.reference}", "b"),
    ("detection_source", lambda ds, p: "detection_source=automated_alert", "c"),
    ("reporter", lambda ds, p: f"reporter={p.other_user.username}", "bd"),
    ("created_after", lambda ds, p: "created_after=2026-03-03T10:00:00Z", "bcd"),
    ("created_before", lambda ds, p: "created_before=2026-03-04T10:00:00Z", "ab"),
    (
        "created_between",
        lambda ds, p: "created_after=2026-03-03T00:00:00Z&created_before=2026-03-04T12:00:00Z",
        "bc",
    ),
    ("q=title", lambda ds, p: "q=latency", "a"),
    ("q=description", lambda ds, p: "q=fan%20noise", "c"),
    ("q=reference", lambda ds, p: f"q={ds.b.reference}", "b"),
    ("q=reference-lowercase", lambda ds, p: f"q={ds.d.reference.lower()}", "d"),
    ("none", lambda ds, p: "", "abcd"),
]


@pytest.mark.parametrize(("name", "query", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_list_filters(api, people, dataset, name, query, expected):
    response = api(people.im).get(f"{INCIDENTS}?{query(dataset, people)}")
    assert response.status_code == 200, response.json()
    data = response.json()
    ids = [row["id"] for row in data["results"]]
    wanted = [getattr(dataset, key).reference for key in expected]
    assert sorted(ids) == sorted(wanted)
    assert data["count"] == len(wanted)


@pytest.mark.postgres
def test_text_search_is_answered_by_the_trigram_indexes(people):
    """The ``q`` filter's SQL matches the expressions of the trigram indexes (migration
    incidents 0003), so PostgreSQL can answer it without reading every incident."""
    search = IncidentFilterSet({"q": "printer jam"}, queryset=Incident.objects.all()).qs
    sql, params = search.order_by().query.sql_with_params()  # as the paginator counts it
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "inc_title_trgm" in plan and "inc_description_trgm" in plan, plan


def test_list_is_newest_first_and_paginated(api, people, dataset):
    response = api(people.im).get(f"{INCIDENTS}?page_size=3")
    data = response.json()
    assert data["count"] == 4
    assert [row["id"] for row in data["results"]] == [
        dataset.d.reference,
        dataset.c.reference,
        dataset.b.reference,
    ]
    assert data["next"] is not None and data["previous"] is None


def test_list_rejects_an_unknown_enum_value(api, people, dataset):
    response = api(people.im).get(f"{INCIDENTS}?status=done")
    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"status"}


# ---- visibility --------------------------------------------------------------------------
def test_end_user_sees_only_own_incidents(api, people, make):
    mine = make("open")
    theirs = make("open", reporter=people.other_user)
    response = api(people.reporter).get(INCIDENTS)
    assert [row["id"] for row in response.json()["results"]] == [mine.reference]
    assert api(people.reporter).get(url(mine.reference)).status_code == 200
    assert_error(
        api(people.reporter).get(url(theirs.reference)),
        404,
        "not_found",
        message=f"Incident {theirs.reference} was not found.",
    )


@pytest.mark.parametrize("who", ["analyst", "l2"])
def test_security_incident_is_invisible_to_service_desk_and_l2(api, people, make, who):
    secret = make("in_progress", category="security", team="L3")
    ordinary = make("open")
    user = getattr(people, who)
    events = AuditEvent.objects.count()
    assert_error(
        api(user).get(url(secret.reference)),
        404,
        "not_found",
        message=f"Incident {secret.reference} was not found.",
    )
    assert [row["id"] for row in api(user).get(INCIDENTS).json()["results"]] == [ordinary.reference]
    assert_error(api(user).get(url(secret.reference, "communications")), 404, "not_found")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["l3", "auditor", "im", "admin", "reporter"])
def test_security_incident_read_is_audited_for_those_who_see_it(api, people, make, who):
    secret = make("open", category="security")
    user = getattr(people, who)
    client = api(user)
    for reads in (1, 2):
        response = client.get(url(secret.reference))
        assert response.status_code == 200, response.json()
        assert response.json()["id"] == secret.reference
        events = AuditEvent.objects.filter(ref_id=secret.reference, domain_action="read")
        assert events.count() == reads
    event = events.order_by("-seq").first()
    assert (event.actor_label, event.actor_id, event.ref_type) == (user.username, user.pk, "incident")
    assert secret.reference in [row["id"] for row in client.get(INCIDENTS).json()["results"]]


def test_security_incidents_shown_in_a_list_are_reads_once_per_window(api, people, make):
    secret = make("open", category="security")
    ordinary = make("open")

    def reads():
        return list(
            AuditEvent.objects.filter(domain_action="read")
            .order_by("seq")
            .values_list("ref_id", "actor_label", "additional_data")
        )

    l3 = api(people.l3)
    shown = l3.get(INCIDENTS).json()["results"]
    assert {row["id"] for row in shown} == {secret.reference, ordinary.reference}
    assert reads() == [(secret.reference, people.l3.username, {"via": "list"})]
    l3.get(INCIDENTS)  # shown again within the window (the desk refreshes itself): no new read
    assert len(reads()) == 1
    with time_machine.travel(datetime.now(UTC) + services.LIST_READ_WINDOW + timedelta(minutes=1)):
        l3.get(INCIDENTS)
    assert len(reads()) == 2
    api(people.auditor).get(INCIDENTS)  # another reader: a read of their own
    assert reads()[-1][:2] == (secret.reference, people.auditor.username)
    # a list that does not show it reads nothing; the analyst's never shows it
    api(people.auditor).get(f"{INCIDENTS}?category=software")
    api(people.analyst).get(INCIDENTS)
    assert len(reads()) == 3
    assert not any(ref == ordinary.reference for ref, _, _ in reads())
    assert verify_chain()[1] is None  # events written together chain like any other


def test_list_reads_of_security_incidents_take_constant_queries(people, make):
    client = APIClient()
    client.force_authenticate(people.l3)  # no token: its last_used_at stamp would skew the counts
    client.get(INCIDENTS)  # warm: the user's roles are read once
    make("open", category="security")
    with CaptureQueriesContext(connection) as one:
        client.get(INCIDENTS)
    for _ in range(9):
        make("open", category="security")
    with time_machine.travel(datetime.now(UTC) + services.LIST_READ_WINDOW + timedelta(minutes=1)):
        with CaptureQueriesContext(connection) as ten:
            response = client.get(INCIDENTS)
    assert response.json()["count"] == 10
    assert AuditEvent.objects.filter(domain_action="read").count() == 1 + 10
    assert len(ten) == len(one), "\n".join(q["sql"] for q in ten.captured_queries)


def test_ordinary_incident_read_is_not_audited(api, people, make):
    inc = make("open")
    events = AuditEvent.objects.count()
    assert api(people.auditor).get(url(inc.reference)).status_code == 200
    assert AuditEvent.objects.count() == events


# ---- list query count --------------------------------------------------------------------
def _worked_incident(people, svc, make_user, n: int) -> Incident:
    """A P1 with everything a list row shows filled in: its own reporter, team, assignee,
    the three major-incident roles."""
    inc = incident_in(
        "open",
        priority="P1",
        reporter=make_user("end_user"),
        actor=people.im,
        service=svc,
        title=f"Outage {n}",
    )
    services.incident_assign(incident=inc.reference, actor=people.im, team="L1", assignee=people.l1.username)
    services.incident_set_major_roles(
        incident=inc.reference,
        actor=people.im,
        incident_commander=make_user("incident_manager").username,
        communications_lead=make_user("service_desk").username,
        technical_lead=make_user("l3").username,
    )
    return inc


def test_list_query_count_does_not_grow_with_the_page(api, people, svc, make_user):
    client = api(people.analyst)
    client.get(INCIDENTS)  # the token's first use stamps last_used_at: keep it out of the counts
    _worked_incident(people, svc, make_user, 0)

    with CaptureQueriesContext(connection) as one:
        response = client.get(INCIDENTS)
    assert response.json()["count"] == 1

    for n in range(1, 50):
        _worked_incident(people, svc, make_user, n)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(INCIDENTS)
    data = response.json()
    assert (data["count"], len(data["results"])) == (50, 50)
    assert data["results"][0]["assignee"] == people.l1.username
    assert "incident_commander" not in data["results"][0]  # the detail carries the major roles
    assert len(fifty) == len(one), "\n".join(q["sql"] for q in fifty.captured_queries)


# ---- communications and vendor engagements -----------------------------------------------
def test_incident_communications_lists_only_that_incidents_messages(api, people, make):
    inc = make("in_progress")  # assign wrote the acknowledgement
    services.incident_communicate(
        incident=inc.reference, actor=people.analyst, recipients=["end_users"], message="On it."
    )
    other = make("in_progress", reporter=people.other_user)
    services.incident_communicate(
        incident=other.reference, actor=people.analyst, recipients=["end_users"], message="Other."
    )
    expected = list(
        Communication.objects.filter(subject_ref=inc.reference)
        .order_by("created_at")
        .values_list("reference", flat=True)
    )
    assert len(expected) == 2

    for user in (people.analyst, people.reporter):
        response = api(user).get(url(inc.reference, "communications"))
        assert response.status_code == 200, response.json()
        rows = response.json()
        assert [row["id"] for row in rows] == expected
        assert {row["subject"] for row in rows} == {inc.reference}
        assert [row["kind"] for row in rows] == ["acknowledgement", "update"]
    assert_error(api(people.reporter).get(url(other.reference, "communications")), 404, "not_found")


def test_vendor_engagements_list_only_visible_ones(api, people, make):
    mine = make("pending_vendor", team="L2", vendor=people.vendor)
    theirs = make("pending_vendor", team="L2", vendor=people.vendor, reporter=people.other_user)
    secret = make(
        "pending_vendor", team="L3", vendor=people.vendor, category="security", reporter=people.other_user
    )

    def listed(user):
        response = api(user).get(ENGAGEMENTS)
        assert response.status_code == 200, response.json()
        return sorted(row["incident"] for row in response.json()["results"])

    assert listed(people.analyst) == sorted([mine.reference, theirs.reference])
    assert listed(people.l3) == sorted([mine.reference, theirs.reference, secret.reference])
    assert listed(people.reporter) == [mine.reference]

    hidden = VendorEngagement.objects.get(incident=secret)
    assert_error(api(people.analyst).get(f"{ENGAGEMENTS}{hidden.reference}/"), 404, "not_found")
    reads = AuditEvent.objects.filter(ref_id=secret.reference, domain_action="read").order_by("seq")
    # L3's list showed it: a read of the security incident (the analyst's did not show it)
    assert list(reads.values_list("actor_label", "additional_data")) == [
        (people.l3.username, {"via": "vendor-engagements"})
    ]
    shown = api(people.l3).get(f"{ENGAGEMENTS}{hidden.reference}/")
    assert shown.status_code == 200
    assert (shown.json()["id"], shown.json()["vendor"]) == (hidden.reference, people.vendor.reference)
    # reading a security incident's engagement is a read of the incident: audited, every time
    assert list(reads.values_list("actor_label", "additional_data")) == [
        (people.l3.username, {"via": "vendor-engagements"}),
        (people.l3.username, None),
    ]
    ordinary = VendorEngagement.objects.get(incident=mine)
    assert api(people.l3).get(f"{ENGAGEMENTS}{ordinary.reference}/").status_code == 200
    assert not AuditEvent.objects.filter(ref_id=mine.reference, domain_action="read").exists()


def test_categorizing_as_security_hides_it_from_the_analyst_but_succeeds(api, people, make):
    incident = make("in_progress", team="L1")
    response = api(people.analyst).post(
        f"/api/v1/incidents/{incident.reference}/categorize/", {"category": "security"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": incident.reference,
        "visible": False,
        "detail": f"{incident.reference} was updated; it is now restricted and no longer visible to you.",
    }
    assert reload(incident).category == "security"
    assert api(people.analyst).get(f"/api/v1/incidents/{incident.reference}/").status_code == 404


def test_reading_a_security_incidents_communications_is_audited(api, people, make):
    secret = make("in_progress", category="security", team="L3")
    before = AuditEvent.objects.filter(ref_id=secret.reference, domain_action="read").count()
    response = api(people.l3).get(f"/api/v1/incidents/{secret.reference}/communications/")
    assert response.status_code == 200
    reads = AuditEvent.objects.filter(ref_id=secret.reference, domain_action="read")
    assert reads.count() == before + 1
    assert reads.order_by("-seq").first().actor_label == people.l3.username


def test_the_reporter_comments_through_the_api(api, people, make):
    inc = make("in_progress", team="L1")
    response = api(people.reporter).post(
        f"{INCIDENTS}{inc.reference}/comment/", {"message": "Still failing."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert "comment" in response.json()["allowed_actions"]
    comment = Communication.objects.get(subject_ref=inc.reference, kind="comment")
    assert (comment.message, comment.sender, comment.recipients) == (
        "Still failing.",
        people.reporter,
        ["IT_staff"],
    )
    assert_error(
        api(people.reporter).post(f"{INCIDENTS}{inc.reference}/comment/", {}, format="json"),
        400,
        "validation_error",
    )


def test_unknown_vendor_engagement_is_not_found_by_reference(api, people):
    assert_error(
        api(people.im).get("/api/v1/vendor-engagements/VEN-999999/"),
        404,
        "not_found",
        message="Vendor engagement VEN-999999 was not found.",
    )


# ---- what the reporter sees (issue 15 #4) ----------------------------------------------
def _worked_on(people, make):
    """An incident with work notes, an escalation and messages to every group."""
    inc = make("in_progress", team="L2")
    ref = inc.reference
    services.incident_diagnose(incident=ref, actor=people.im, steps="Heap dump shows a leak in libfoo.")
    services.incident_escalate(incident=ref, actor=people.im, target="L3", reason="L2 suspects the vendor.")
    for group, text in (("executives", "Board briefing: revenue at risk."), ("end_users", "We are on it.")):
        services.incident_communicate(incident=ref, actor=people.im, recipients=[group], message=text)
    services.incident_comment(incident=ref, actor=people.reporter, message="Still broken here.")
    return reload(inc)


def test_the_reporter_sees_no_work_notes_in_the_api(api, people, make):
    inc = _worked_on(people, make)
    detail = api(people.reporter).get(url(inc.reference)).json()
    hidden = ("diagnosis", "escalation_reason", "escalation_target", "workaround", "assignee",
              "assigned_team", "priority_justification", "incident_commander")  # fmt: skip
    for field in hidden:
        assert field not in detail, field
    assert (detail["id"], detail["status"], detail["title"]) == (inc.reference, "escalated", inc.title)
    assert "sla" in detail and "resolution_summary" in detail
    listed = api(people.reporter).get(INCIDENTS).json()["results"]
    assert [row["id"] for row in listed] == [inc.reference]
    assert "diagnosis" not in listed[0] and "escalation_reason" not in listed[0]
    # staff still see everything
    staff = api(people.analyst).get(url(inc.reference)).json()
    assert "libfoo" in staff["diagnosis"] and staff["escalation_reason"] == "L2 suspects the vendor."


def test_the_reporter_sees_only_messages_addressed_to_them(api, people, make):
    inc = _worked_on(people, make)
    rows = api(people.reporter).get(url(inc.reference, "communications")).json()
    assert [(row["kind"], row["recipients"]) for row in rows] == [
        ("acknowledgement", ["reporter"]),
        ("update", ["end_users"]),
        ("comment", ["IT_staff"]),  # their own comment
    ]
    assert "Board briefing" not in str(rows)
    everything = api(people.im).get(url(inc.reference, "communications")).json()
    assert len(everything) == 5  # and the escalation notice and the executives' briefing

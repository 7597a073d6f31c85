"""The incident SOP services (the incidents/services/sop package), called directly.

For every service: a success test asserting the resulting fields and the one audit event
it writes, and a test per refusal asserting the error code, the exact message and that
nothing changed (the incident row, and the counts of incidents, audit events,
communications and vendor engagements). Refusals every operation shares (stale version,
wrong state, invisible or missing incident, role) are the parametrized tests near the end.
"""

import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine

from audit.models import AuditEvent
from catalog.models import Service
from communications.models import Communication
from core.errors import DomainError, ErrorCode
from incidents import services
from incidents.models import Incident, VendorEngagement
from incidents.services import sop
from tests.incidents.factories import reload

FROZEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
FROZEN_STAMP = "[2026-03-02 10:00 UTC]"
MISSING = "INC-999999"

V = ErrorCode.VALIDATION_ERROR
DENIED = ErrorCode.PERMISSION_DENIED
SOD = ErrorCode.SEGREGATION_OF_DUTIES
NOT_FOUND = ErrorCode.NOT_FOUND
INVALID = ErrorCode.INVALID_TRANSITION
CONFLICT = ErrorCode.CONFLICT
PRECONDITION = ErrorCode.PRECONDITION_FAILED

ACTIVE_TEXT = "open, in_progress, escalated or pending_vendor"


# ---- fixtures and helpers ----------------------------------------------------------------
@pytest.fixture(autouse=True)
def _policy_defaults(settings):
    settings.IMS_GRACE_PERIOD_DAYS = 3
    settings.IMS_BREACH_NOTIFICATION_HOURS = 72


@pytest.fixture
def frozen():
    """Time stands still at FROZEN; ``frozen.shift(seconds)`` / ``frozen.move_to(dt)`` move it."""
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def snapshot(incident=None):
    counts = {m.__name__: m.objects.count() for m in (Incident, AuditEvent, Communication, VendorEngagement)}
    row = Incident.objects.filter(pk=incident.pk).values().first() if incident is not None else None
    engagements = list(VendorEngagement.objects.order_by("pk").values())
    return counts, row, engagements


@contextmanager
def refused(code, message, incident=None, fields=None):
    """The body must raise DomainError(code, message) and change nothing."""
    before = snapshot(incident)
    with pytest.raises(DomainError) as caught:
        yield caught
    assert caught.value.code == code, caught.value
    assert caught.value.message == message
    if fields is not None:
        assert caught.value.fields == fields
    assert snapshot(incident) == before


@contextmanager
def one_event(*, acknowledging: bool = False):
    """The body must write exactly one audit event; it is ``box.event`` afterwards. An
    assignment ``acknowledging`` the reporter writes its notify event first (SOP 6)."""
    box = SimpleNamespace(event=None)
    before = AuditEvent.objects.count()
    yield box
    assert AuditEvent.objects.count() == before + 1 + acknowledging
    box.event = AuditEvent.objects.order_by("-seq").first()


# Every operation's event also records the SLA deadlines the operation moved (incidents.sla).
DEADLINES = ("acknowledge_due_at", "resolve_due_at", "next_update_due_at")


def deadline_moves(before: Incident, after: Incident) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {
        name: [iso(getattr(before, name)), iso(getattr(after, name))]
        for name in DEADLINES
        if getattr(before, name) != getattr(after, name)
    }


def assert_changes(event, changes, *, before: Incident | None = None):
    """``changes`` (the operation's own delta) plus, given the incident as it was
    ``before``, the deadlines that moved between then and now."""
    expected = dict(changes) if changes is not None else None
    if before is not None:
        expected = {**deadline_moves(before, reload(before)), **(expected or {})}
    assert event.changes == expected


def assert_event(event, *, action, ref, actor, changes, extra=None, before=None):
    assert event.domain_action == action
    assert event.ref_type == "incident"
    assert event.ref_id == ref
    assert event.actor_label == (actor.username if actor is not None else "system")
    assert event.actor_id == (actor.pk if actor is not None else None)
    assert_changes(event, changes, before=before)
    assert event.additional_data == extra


def create(actor, svc, **kw):
    values = {
        "title": "Mailbox unreachable",
        "category": "software",
        "impact": "medium",
        "urgency": "medium",
        "affected_service": svc.reference,
    }
    values.update(kw)
    return services.incident_create(actor=actor, **values)


# ---- incident_create (SOP 2) -------------------------------------------------------------
def test_create_opens_an_incident_and_audits_identify(people, svc, frozen):
    with one_event() as audit:
        incident, duplicates = create(
            people.analyst,
            svc,
            title="  Mailbox unreachable  ",
            description=" Outlook shows disconnected. ",
            subcategory=" Outlook ",
            impact="high",
            urgency="medium",
            detection_source="monitoring_tool",
            reporter=people.reporter.username,
            detected_at=FROZEN - timedelta(minutes=10),
        )
    inc = reload(incident)
    assert duplicates == []
    assert re.fullmatch(r"INC-\d{6}", inc.reference)
    assert (inc.title, inc.description, inc.subcategory) == (
        "Mailbox unreachable",
        "Outlook shows disconnected.",
        "Outlook",
    )
    assert (inc.category, inc.impact, inc.urgency, inc.priority) == ("software", "high", "medium", "P2")
    assert inc.priority_justification == ""
    assert (inc.status, inc.version) == ("open", 1)
    assert inc.reporter == people.reporter
    assert inc.affected_service == svc
    assert inc.detection_source == "monitoring_tool"
    assert inc.detected_at == FROZEN - timedelta(minutes=10)
    assert inc.logged_at == FROZEN
    assert inc.acknowledged_at is None and inc.assigned_team is None and inc.assignee is None
    assert inc.is_personal_data_breach is False and inc.breach_notification_due_at is None
    assert_event(
        audit.event,
        action="identify",
        ref=inc.reference,
        actor=people.analyst,
        changes={
            "status": [None, "open"],
            "title": [None, "Mailbox unreachable"],
            "category": [None, "software"],
            "priority": [None, "P2"],
            "affected_service": [None, svc.reference],
            "reporter": [None, people.reporter.username],
            "detection_source": [None, "monitoring_tool"],
        },
    )


def test_create_by_end_user_reports_in_own_name_detected_now(people, svc, frozen):
    incident, _ = create(people.reporter, svc)
    inc = reload(incident)
    assert inc.reporter == people.reporter
    assert inc.detected_at == inc.logged_at == FROZEN
    assert inc.detection_source == "user_report"


def test_create_by_end_user_naming_themselves_is_accepted(people, svc):
    incident, _ = create(people.reporter, svc, reporter=people.reporter.username)
    assert reload(incident).reporter == people.reporter


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("high", "low", "P3"),
        ("medium", "high", "P2"),
        ("medium", "medium", "P3"),
        ("medium", "low", "P4"),
        ("low", "high", "P3"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_create_priority_follows_the_matrix(people, svc, impact, urgency, priority):
    incident, _ = create(people.analyst, svc, impact=impact, urgency=urgency)
    assert reload(incident).priority == priority


def test_create_explicit_priority_off_matrix_without_justification_is_refused(people, svc):
    with refused(
        V,
        "Priority P1 differs from the impact × urgency matrix (P3); give a priority_justification.",
        fields={"priority_justification": ["This field is required."]},
    ):
        create(people.analyst, svc, priority="P1", priority_justification="  ")


def test_create_explicit_priority_off_matrix_with_justification_is_kept(people, svc):
    with one_event() as audit:
        incident, _ = create(
            people.analyst, svc, priority="P1", priority_justification=" Whole board cannot e-mail. "
        )
    inc = reload(incident)
    assert (inc.priority, inc.impact, inc.urgency) == ("P1", "medium", "medium")
    assert inc.priority_justification == "Whole board cannot e-mail."
    assert audit.event.changes["priority"] == [None, "P1"]


def test_create_explicit_priority_equal_to_matrix_needs_no_justification(people, svc):
    incident, _ = create(people.analyst, svc, priority="P3")
    inc = reload(incident)
    assert (inc.priority, inc.priority_justification) == ("P3", "")


def test_create_refused_without_a_role(people, svc):
    with refused(DENIED, "You need an IMS role to report incidents."):
        create(people.nobody, svc)


def test_create_refused_for_an_inactive_actor(people, svc):
    people.analyst.is_active = False
    people.analyst.save()
    with refused(DENIED, "You need an IMS role to report incidents."):
        create(people.analyst, svc)


def test_create_refused_without_title(people, svc):
    with refused(V, "An incident needs a title.", fields={"title": ["This field is required."]}):
        create(people.analyst, svc, title="   ")


@pytest.mark.parametrize(
    ("field_name", "value", "allowed"),
    [
        ("category", "bogus", "hardware, software, security, performance, network, other"),
        ("impact", "extreme", "low, medium, high"),
        ("urgency", "now", "low, medium, high"),
        ("detection_source", "email", "user_report, monitoring_tool, automated_alert"),
        ("priority", "P0", "P1, P2, P3, P4"),
    ],
)
def test_create_refuses_values_outside_the_enums(people, svc, field_name, value, allowed):
    with refused(
        V,
        f"{field_name} must be one of {allowed}; got {value!r}.",
        fields={field_name: [f"{value!r} is not a valid choice."]},
    ):
        create(people.analyst, svc, **{field_name: value})


def test_create_refuses_detection_in_the_future(people, svc, frozen):
    with refused(V, "detected_at is in the future.", fields={"detected_at": ["Must not be in the future."]}):
        create(people.analyst, svc, detected_at=FROZEN + timedelta(minutes=6))


def test_create_end_user_cannot_report_in_another_name(people, svc):
    with refused(DENIED, "End users report incidents in their own name only."):
        create(people.reporter, svc, reporter=people.other_user.username)


def test_create_refuses_unknown_reporter(people, svc):
    with refused(V, "No active user ghost.", fields={"reporter": ["No active user ghost."]}):
        create(people.analyst, svc, reporter="ghost")


def test_create_refuses_inactive_reporter(people, svc):
    people.other_user.is_active = False
    people.other_user.save()
    name = people.other_user.username
    with refused(V, f"No active user {name}.", fields={"reporter": [f"No active user {name}."]}):
        create(people.analyst, svc, reporter=name)


def test_create_refuses_unknown_service(people, svc):
    with refused(
        V, "No active service SVC-999999.", fields={"affected_service": ["No active service SVC-999999."]}
    ):
        create(people.analyst, svc, affected_service="SVC-999999")


def test_create_refuses_inactive_service(people, svc):
    svc.is_active = False
    svc.save()
    with refused(
        V,
        f"No active service {svc.reference}.",
        fields={"affected_service": [f"No active service {svc.reference}."]},
    ):
        create(people.analyst, svc)


def test_create_personal_data_breach_deadline_is_72h_after_detection(people, svc, frozen):
    detected = FROZEN - timedelta(hours=5)
    incident, _ = create(people.analyst, svc, is_personal_data_breach=True, detected_at=detected)
    inc = reload(incident)
    assert inc.is_personal_data_breach is True
    assert inc.breach_notification_due_at == detected + timedelta(hours=72)


def test_create_offers_possible_duplicates(people, svc, make, frozen):
    other_service = Service.objects.create(name="Payroll")
    frozen.move_to(FROZEN - timedelta(hours=25))
    make("open", title="Email server down")  # too old
    frozen.move_to(FROZEN - timedelta(hours=23))
    recent = make("open", title="Email server down")
    frozen.move_to(FROZEN - timedelta(hours=2))
    working = make("in_progress", title="email server is DOWN")
    make("resolved", title="Email server down")  # no longer active
    make("closed", title="Email server down")
    make("open", title="Email server down", service=other_service)  # other service
    make("open", title="Printer out of toner")  # not similar
    frozen.move_to(FROZEN)

    with one_event() as audit:
        incident, duplicates = create(people.analyst, svc, title="Email server is down")

    assert [d.reference for d in duplicates] == [working.reference, recent.reference]
    assert audit.event.additional_data == {"possible_duplicates": [working.reference, recent.reference]}
    assert incident.reference not in [d.reference for d in duplicates]


def test_create_possible_duplicates_only_among_what_the_actor_sees(people, svc, make):
    make("open", title="VPN drops every hour", reporter=people.other_user)
    mine = make("open", title="VPN drops every hour")
    _, duplicates = create(people.reporter, svc, title="VPN drops every hour")
    assert [d.reference for d in duplicates] == [mine.reference]


# ---- incident_log (SOP 3) ----------------------------------------------------------------
def test_log_appends_details_and_audits_create(people, make, frozen):
    inc = make("in_progress", team="L1")
    new_service = Service.objects.create(name="Email relay")
    with one_event() as audit:
        services.incident_log(
            incident=inc.reference,
            actor=people.analyst,
            description=" Also fails on mobile. ",
            diagnosis="DNS answers slowly.",
            workaround="Use webmail.",
            affected_service=new_service.reference,
            expected_version=inc.version,
        )
    after = reload(inc)
    assert after.description == f"Built by tests.incidents.factories.\n\n{FROZEN_STAMP} Also fails on mobile."
    assert after.diagnosis == f"{FROZEN_STAMP} DNS answers slowly."
    assert (after.workaround, after.has_workaround) == ("Use webmail.", True)
    assert after.affected_service == new_service
    assert (after.status, after.version) == ("in_progress", inc.version + 1)
    assert_event(
        audit.event,
        action="create",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={
            "description": [None, "Also fails on mobile."],
            "diagnosis": [None, "DNS answers slowly."],
            "workaround": [None, "Use webmail."],
            "affected_service": [inc.affected_service.reference, new_service.reference],
        },
    )


def test_log_flags_a_personal_data_breach_from_detection_time(people, make):
    inc = make("open")
    with one_event() as audit:
        services.incident_log(incident=inc.reference, actor=people.analyst, is_personal_data_breach=True)
    after = reload(inc)
    assert after.is_personal_data_breach is True
    assert after.breach_notification_due_at == inc.detected_at + timedelta(hours=72)
    assert_changes(audit.event, {"is_personal_data_breach": [False, True]}, before=inc)


def test_log_refuses_nothing_to_log(people, make):
    inc = make("open")
    with refused(
        V,
        "Give at least one of description, affected_service, diagnosis or workaround.",
        inc,
        fields={"non_field_errors": ["Nothing to log."]},
    ):
        services.incident_log(incident=inc.reference, actor=people.analyst)


def test_log_refuses_blank_text_and_unchanged_service(people, make):
    inc = make("open")
    with refused(V, f"Nothing new to log on {inc.reference}.", inc):
        services.incident_log(
            incident=inc.reference,
            actor=people.analyst,
            description="   ",
            affected_service=inc.affected_service.reference,
        )


def test_log_refuses_unknown_service(people, make):
    inc = make("open")
    with refused(V, "No active service SVC-999999.", inc):
        services.incident_log(incident=inc.reference, actor=people.analyst, affected_service="SVC-999999")


def test_log_refuses_a_resolver_even_on_its_teams_incident(people, make):
    """SPEC.md: resolvers diagnose, escalate and resolve; logging (SOP 3) is the desk's."""
    inc = make("in_progress", team="L1")
    with refused(DENIED, f"Your role may not log details on {inc.reference}.", inc):
        services.incident_log(incident=inc.reference, actor=people.l1, description="x")


def test_log_refuses_the_end_user_reporter(people, make):
    inc = make("open")
    with refused(DENIED, f"Your role may not log details on {inc.reference}.", inc):
        services.incident_log(incident=inc.reference, actor=people.reporter, description="x")


# ---- incident_categorize (SOP 4) ---------------------------------------------------------
def test_categorize_sets_category_and_subcategory(people, make):
    inc = make("open", category="software")
    with one_event() as audit:
        services.incident_categorize(
            incident=inc.reference, actor=people.analyst, category="network", subcategory=" VPN "
        )
    after = reload(inc)
    assert (after.category, after.subcategory, after.version) == ("network", "VPN", 2)
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={"category": ["software", "network"], "subcategory": ["", "VPN"]},
    )


def test_categorize_keeps_subcategory_when_not_given(people, make):
    inc = make("open", category="software", subcategory="Outlook")
    with one_event() as audit:
        services.incident_categorize(incident=inc.reference, actor=people.analyst, category="hardware")
    assert reload(inc).subcategory == "Outlook"
    assert_changes(audit.event, {"category": ["software", "hardware"]}, before=inc)


def test_categorize_refuses_unknown_category(people, make):
    inc = make("open")
    with refused(
        V,
        "category must be one of hardware, software, security, performance, network, other; got 'misc'.",
        inc,
    ):
        services.incident_categorize(incident=inc.reference, actor=people.analyst, category="misc")


def test_categorize_refuses_no_change(people, make):
    inc = make("open", category="software")
    with refused(V, f"{inc.reference} is already software.", inc, fields={"category": ["Unchanged."]}):
        services.incident_categorize(incident=inc.reference, actor=people.analyst, category="software")


def test_categorize_refuses_a_resolver_even_in_the_team(people, make):
    inc = make("in_progress", team="L1")
    with refused(DENIED, f"Your role may not categorize {inc.reference}.", inc):
        services.incident_categorize(incident=inc.reference, actor=people.l1, category="network")


# ---- incident_prioritize (SOP 5) ---------------------------------------------------------
def test_prioritize_by_impact_and_urgency(people, make):
    inc = make("open", priority="P3")
    with one_event() as audit:
        services.incident_prioritize(
            incident=inc.reference,
            actor=people.analyst,
            impact="high",
            urgency="high",
            justification=" Payments stopped. ",
        )
    after = reload(inc)
    assert (after.impact, after.urgency, after.priority) == ("high", "high", "P1")
    assert after.priority_justification == "Payments stopped."
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={
            "impact": ["medium", "high"],
            "urgency": ["medium", "high"],
            "priority": ["P3", "P1"],
            "priority_justification": [None, "Payments stopped."],
        },
    )


def test_prioritize_explicit_priority_keeps_impact_and_urgency(people, make):
    inc = make("in_progress", priority="P3")
    with one_event() as audit:
        services.incident_prioritize(
            incident=inc.reference, actor=people.sdm, priority="P2", justification="VIP"
        )
    after = reload(inc)
    assert (after.impact, after.urgency, after.priority) == ("medium", "medium", "P2")
    assert after.priority_justification == "VIP"
    assert_changes(
        audit.event, {"priority": ["P3", "P2"], "priority_justification": [None, "VIP"]}, before=inc
    )


@pytest.mark.parametrize(
    ("kwargs", "message", "fields"),
    [
        (
            {},
            "Give a priority, or both impact and urgency.",
            {"priority": ["Give priority or impact and urgency."]},
        ),
        (
            {"impact": "high"},
            "Give a priority, or both impact and urgency.",
            {"priority": ["Give priority or impact and urgency."]},
        ),
        (
            {"priority": "P5"},
            "priority must be one of P1, P2, P3, P4; got 'P5'.",
            {"priority": ["'P5' is not a valid choice."]},
        ),
        (
            {"impact": "huge", "urgency": "high"},
            "impact must be one of low, medium, high; got 'huge'.",
            {"impact": ["'huge' is not a valid choice."]},
        ),
        (
            {"impact": "high", "urgency": "asap"},
            "urgency must be one of low, medium, high; got 'asap'.",
            {"urgency": ["'asap' is not a valid choice."]},
        ),
        (
            {"priority": "P1", "justification": " "},
            "A priority change needs a justification.",
            {"justification": ["This field is required."]},
        ),
    ],
)
def test_prioritize_refuses_invalid_input(people, make, kwargs, message, fields):
    inc = make("open")
    kwargs = {"justification": "because", **kwargs}
    with refused(V, message, inc, fields=fields):
        services.incident_prioritize(incident=inc.reference, actor=people.analyst, **kwargs)


def test_prioritize_refuses_no_change(people, make):
    inc = make("open", priority="P3")
    with refused(
        V,
        f"{inc.reference} is already P3 (medium impact, medium urgency).",
        inc,
        fields={"priority": ["Unchanged."]},
    ):
        services.incident_prioritize(
            incident=inc.reference, actor=people.analyst, priority="P3", justification="x"
        )


# ---- incident_assign (SOP 6) -------------------------------------------------------------
def test_assign_first_time_acknowledges_the_reporter(people, make, frozen):
    """SOP 6 audits the assignment (update) and the acknowledgement it sends (notify)."""
    inc = make("open", priority="P2")
    before_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    services.incident_assign(
        incident=inc.reference, actor=people.analyst, team="L1", assignee=people.l1.username
    )
    notify, update = AuditEvent.objects.filter(seq__gt=before_seq).order_by("seq")
    audit = SimpleNamespace(event=update)
    after = reload(inc)
    assert (after.status, after.assigned_team.code, after.assignee) == ("in_progress", "L1", people.l1)
    assert after.acknowledged_at == FROZEN
    assert after.version == 2
    ack = Communication.objects.get(subject_ref=inc.reference)
    assert ack.kind == "acknowledgement"
    assert ack.recipients == ["reporter"]
    assert ack.recipient_detail == people.reporter.username
    assert ack.sender == people.analyst
    assert ack.message == (
        f"We have received {inc.reference} ({inc.title}). It is assigned to L1 with priority P2."
    )
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={
            "status": ["open", "in_progress"],
            "team": [None, "L1"],
            "assignee": [None, people.l1.username],
            "acknowledged_at": [None, FROZEN.isoformat()],
        },
        extra={"acknowledgement": ack.reference},
    )
    assert (notify.domain_action, notify.ref_id, notify.actor, update.prev_hash) == (
        "notify",
        inc.reference,
        people.analyst,
        notify.hash,
    )
    assert notify.changes == {"communication": [None, ack.reference]}
    assert notify.additional_data == {"kind": "acknowledgement", "recipients": ["reporter"]}


def test_assign_again_keeps_the_first_acknowledgement(people, make, frozen):
    inc = make("open")
    services.incident_assign(
        incident=inc.reference, actor=people.analyst, team="L1", assignee=people.l1.username
    )
    frozen.shift(3600)
    communications = Communication.objects.count()
    before = reload(inc)
    with one_event() as audit:
        services.incident_assign(incident=inc.reference, actor=people.sdm, team="L2")
    after = reload(inc)
    assert after.acknowledged_at == FROZEN
    assert (after.assigned_team.code, after.assignee) == ("L2", None)
    assert Communication.objects.count() == communications
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=before,
        actor=people.sdm,
        changes={"team": ["L1", "L2"], "assignee": [people.l1.username, None]},
    )


def test_assign_escalated_incident_returns_it_to_in_progress(people, make):
    inc = make("escalated", escalate_to="L2")
    services.incident_assign(
        incident=inc.reference, actor=people.analyst, team="L2", assignee=people.l2.username
    )
    after = reload(inc)
    assert (after.status, after.assignee) == ("in_progress", people.l2)


def test_assign_with_a_blank_assignee_assigns_the_team_only(people, make):
    inc = make("open")
    with one_event(acknowledging=True) as audit:
        services.incident_assign(incident=inc.reference, actor=people.analyst, team="L1", assignee=" ")
    after = reload(inc)
    assert (after.assigned_team.code, after.assignee) == ("L1", None)
    assert "assignee" not in audit.event.changes


def test_assign_analyst_may_not_reassign_between_resolver_teams(people, make):
    inc = make("in_progress", team="L2")
    with refused(
        DENIED,
        f"{inc.reference} is with L2; reassigning it to L3 needs a service desk manager or an "
        "incident manager.",
        inc,
    ):
        services.incident_assign(incident=inc.reference, actor=people.analyst, team="L3")


def test_assign_service_desk_manager_may_reassign_between_teams(people, make):
    inc = make("in_progress", team="L2")
    with one_event() as audit:
        services.incident_assign(incident=inc.reference, actor=people.sdm, team="L3")
    assert reload(inc).assigned_team.code == "L3"
    assert_changes(audit.event, {"team": ["L2", "L3"]}, before=inc)
    assert audit.event.additional_data is None


def test_assign_analyst_may_take_back_from_service_desk(people, make):
    inc = make("in_progress", team="service_desk")
    services.incident_assign(incident=inc.reference, actor=people.analyst, team="L3")
    assert reload(inc).assigned_team.code == "L3"


def test_assign_refuses_resolvers_even_within_their_own_team(people, make):
    """SPEC.md gives assignment to the service desk (and reassignment to its manager)."""
    inc = make("in_progress", team="L2")
    with refused(DENIED, f"Your role may not assign {inc.reference}.", inc):
        services.incident_assign(
            incident=inc.reference, actor=people.l2, team="L2", assignee=people.l2b.username
        )


def test_assign_refuses_unknown_team(people, make):
    inc = make("open")
    with refused(
        V,
        "team must be one of service_desk, L1, L2, L3, facilities, change_mgmt, devops; got 'L4'.",
        inc,
        fields={"team": ["'L4' is not a valid choice."]},
    ):
        services.incident_assign(incident=inc.reference, actor=people.analyst, team="L4")


def test_assign_refuses_an_assignee_outside_the_team(people, make):
    inc = make("open")
    name = people.l2.username
    with refused(V, f"{name} is not a member of L1.", inc, fields={"assignee": ["Not a member of L1."]}):
        services.incident_assign(incident=inc.reference, actor=people.analyst, team="L1", assignee=name)


def test_assign_refuses_unknown_assignee(people, make):
    inc = make("open")
    with refused(V, "No active user ghost.", inc, fields={"assignee": ["No active user ghost."]}):
        services.incident_assign(incident=inc.reference, actor=people.analyst, team="L1", assignee="ghost")


def test_assign_refuses_no_change(people, make):
    inc = make("in_progress", team="L1")
    with refused(V, f"{inc.reference} is already assigned to L1.", inc, fields={"team": ["Unchanged."]}):
        services.incident_assign(incident=inc.reference, actor=people.analyst, team="L1")


# ---- incident_diagnose (SOP 7) -----------------------------------------------------------
def test_diagnose_records_steps_and_workaround(people, make, frozen):
    inc = make("in_progress", team="L1")
    with one_event() as audit:
        services.incident_diagnose(
            incident=inc.reference, actor=people.l1, steps=" Checked the logs. ", workaround=" Restart it. "
        )
    after = reload(inc)
    assert after.diagnosis == f"{FROZEN_STAMP} Checked the logs."
    assert (after.workaround, after.has_workaround, after.version) == ("Restart it.", True, inc.version + 1)
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=inc,
        actor=people.l1,
        changes={
            "diagnosis": [None, "Checked the logs."],
            "workaround": [None, "Restart it."],
            "has_workaround": [False, True],
        },
    )


def test_diagnose_without_workaround(people, make):
    inc = make("open")
    with one_event() as audit:
        services.incident_diagnose(incident=inc.reference, actor=people.analyst, steps="Pinged the host.")
    after = reload(inc)
    assert after.has_workaround is False and after.workaround == ""
    assert_changes(audit.event, {"diagnosis": [None, "Pinged the host."]}, before=inc)


def test_diagnose_refuses_missing_steps(people, make):
    inc = make("in_progress")
    with refused(
        V, "Describe the diagnostic steps taken.", inc, fields={"steps": ["This field is required."]}
    ):
        services.incident_diagnose(incident=inc.reference, actor=people.analyst, steps=" ")


def test_diagnose_refuses_a_resolver_outside_the_team(people, make):
    inc = make("in_progress", team="L2")
    with refused(
        DENIED,
        f"You may record a diagnosis on {inc.reference} only while it is assigned to your team; "
        "it is assigned to L2.",
        inc,
    ):
        services.incident_diagnose(incident=inc.reference, actor=people.l1, steps="x")


# ---- incident_escalate (SOP 8) -----------------------------------------------------------
def test_escalate_moves_to_target_team_unassigned_and_notifies(people, make, frozen):
    inc = make("open")
    services.incident_assign(
        incident=inc.reference, actor=people.analyst, team="L1", assignee=people.l1.username
    )
    frozen.shift(600)
    before = reload(inc)
    with one_event() as audit:
        services.incident_escalate(
            incident=inc.reference, actor=people.l1, target="L2", reason=" Needs database access. "
        )
    after = reload(inc)
    assert (after.status, after.assigned_team.code, after.assignee) == ("escalated", "L2", None)
    assert (after.escalation_target, after.escalation_reason) == ("L2", "Needs database access.")
    assert after.escalation_count == 1
    assert after.escalated_at == FROZEN + timedelta(seconds=600)
    notice = Communication.objects.get(subject_ref=inc.reference, kind="escalation_notice")
    assert (notice.recipients, notice.recipient_detail, notice.sender) == (["team"], "L2", people.l1)
    assert notice.message == f"{inc.reference} (P3, {inc.title}) is escalated to L2: Needs database access."
    assert_event(
        audit.event,
        action="escalate",
        ref=inc.reference,
        before=before,
        actor=people.l1,
        changes={
            "status": ["in_progress", "escalated"],
            "team": ["L1", "L2"],
            "reason": [None, "Needs database access."],
            "assignee": [people.l1.username, None],
        },
        extra={"notice": notice.reference},
    )


def test_escalate_again_to_another_target_counts(people, make):
    inc = make("escalated", escalate_to="L2")
    services.incident_escalate(incident=inc.reference, actor=people.l2, target="L3", reason="Code bug.")
    after = reload(inc)
    assert (after.assigned_team.code, after.escalation_count) == ("L3", 2)


def test_escalate_by_the_system_audits_system_actor(people, make):
    inc = make("open", priority="P1")
    with one_event() as audit:
        services.incident_escalate(
            incident=inc.reference, actor=None, target="incident_manager", reason="P1 unassigned for 15 min."
        )
    after = reload(inc)
    assert (after.status, after.assigned_team.code) == ("escalated", "incident_manager")
    notice = Communication.objects.get(subject_ref=inc.reference, kind="escalation_notice")
    assert notice.sender is None
    assert_event(
        audit.event,
        action="escalate",
        ref=inc.reference,
        before=inc,
        actor=None,
        changes={
            "status": ["open", "escalated"],
            "team": [None, "incident_manager"],
            "reason": [None, "P1 unassigned for 15 min."],
        },
        extra={"notice": notice.reference},
    )


def test_escalate_by_the_system_refuses_missing_and_finished_incidents(people, make):
    with refused(NOT_FOUND, f"Incident {MISSING} was not found."):
        services.incident_escalate(incident=MISSING, actor=None, target="L2", reason="SLA breach.")
    inc = make("resolved")
    with refused(
        INVALID,
        f"{inc.reference} is resolved; only an incident that is open, in_progress or escalated "
        "can be escalated.",
        inc,
    ):
        services.incident_escalate(incident=inc.reference, actor=None, target="L2", reason="SLA breach.")


def test_escalate_refuses_unknown_target(people, make):
    inc = make("in_progress")
    with refused(
        V,
        "target must be one of L1, L2, L3, incident_manager, change_mgmt, facilities, devops; got 'L4'.",
        inc,
        fields={"target": ["'L4' is not a valid choice."]},
    ):
        services.incident_escalate(incident=inc.reference, actor=people.analyst, target="L4", reason="x")


def test_escalate_refuses_missing_reason(people, make):
    inc = make("in_progress")
    with refused(V, "An escalation needs a reason.", inc, fields={"reason": ["This field is required."]}):
        services.incident_escalate(incident=inc.reference, actor=people.analyst, target="L2", reason="")


def test_escalate_refuses_the_same_target_twice(people, make):
    inc = make("escalated", escalate_to="L2")
    with refused(
        INVALID,
        f"{inc.reference} is already escalated to L2; escalate to another target or assign it.",
        inc,
    ):
        services.incident_escalate(incident=inc.reference, actor=people.analyst, target="L2", reason="again")


# ---- incident_engage_vendor / incident_vendor_responded (SOP 9) --------------------------
def test_engage_vendor_pauses_the_clock(people, make, frozen):
    inc = make("in_progress", team="L2")
    with one_event() as audit:
        _, engagement = services.incident_engage_vendor(
            incident=inc.reference,
            actor=people.l2,
            vendor=people.vendor.reference,
            contact_method="vendor_portal",
            vendor_reference=" CASE-42 ",
        )
    after = reload(inc)
    assert (after.status, after.paused_since, after.paused_seconds) == ("pending_vendor", FROZEN, 0)
    assert after.version == inc.version + 1
    engagement = VendorEngagement.objects.get(pk=engagement.pk)
    assert (engagement.incident, engagement.vendor, engagement.engaged_by) == (
        after,
        people.vendor,
        people.l2,
    )
    assert (engagement.contact_method, engagement.vendor_reference) == ("vendor_portal", "CASE-42")
    assert (engagement.engaged_at, engagement.responded_at) == (FROZEN, None)
    assert_event(
        audit.event,
        action="vendor_engagement",
        ref=inc.reference,
        before=inc,
        actor=people.l2,
        changes={
            "status": ["in_progress", "pending_vendor"],
            "vendor": [None, people.vendor.reference],
            "contact_method": [None, "vendor_portal"],
        },
        extra={"engagement": engagement.reference},
    )


def test_engage_vendor_from_escalated_by_incident_manager(people, make):
    inc = make("escalated")
    services.incident_engage_vendor(
        incident=inc.reference, actor=people.im, vendor=people.vendor.reference, contact_method="API"
    )
    assert reload(inc).status == "pending_vendor"


def test_engage_vendor_refuses_unknown_contact_method(people, make):
    inc = make("in_progress", team="L2")
    with refused(
        V,
        "contact_method must be one of phone, email, vendor_portal, API; got 'fax'.",
        inc,
        fields={"contact_method": ["'fax' is not a valid choice."]},
    ):
        services.incident_engage_vendor(
            incident=inc.reference, actor=people.l2, vendor=people.vendor.reference, contact_method="fax"
        )


def test_engage_vendor_refuses_unknown_vendor(people, make):
    inc = make("in_progress", team="L2")
    with refused(V, "No active vendor VND-999999.", inc, fields={"vendor": ["No active vendor VND-999999."]}):
        services.incident_engage_vendor(
            incident=inc.reference, actor=people.l2, vendor="VND-999999", contact_method="email"
        )


def test_engage_vendor_refuses_inactive_vendor(people, make):
    inc = make("in_progress", team="L2")
    people.vendor.is_active = False
    people.vendor.save()
    ref = people.vendor.reference
    with refused(V, f"No active vendor {ref}.", inc):
        services.incident_engage_vendor(
            incident=inc.reference, actor=people.l2, vendor=ref, contact_method="email"
        )


@pytest.mark.parametrize("who", ["analyst", "sdm", "l1"])
def test_engage_vendor_refuses_roles_that_do_not_engage_vendors(people, make, who):
    inc = make("in_progress", team="L1")
    with refused(DENIED, f"Your role may not engage a vendor on {inc.reference}.", inc):
        services.incident_engage_vendor(
            incident=inc.reference,
            actor=getattr(people, who),
            vendor=people.vendor.reference,
            contact_method="email",
        )


def test_engage_vendor_refuses_l3_outside_the_team(people, make):
    inc = make("in_progress", team="L2")
    with refused(
        DENIED,
        f"You may engage a vendor on {inc.reference} only while it is assigned to your team; "
        "it is assigned to L2.",
        inc,
    ):
        services.incident_engage_vendor(
            incident=inc.reference, actor=people.l3, vendor=people.vendor.reference, contact_method="email"
        )


def test_vendor_responded_resumes_and_accumulates_paused_time(people, make, frozen):
    inc = make("in_progress", team="L2")
    _, first = services.incident_engage_vendor(
        incident=inc.reference, actor=people.l2, vendor=people.vendor.reference, contact_method="phone"
    )
    frozen.shift(2 * 3600)
    before = reload(inc)
    with one_event() as audit:
        services.incident_vendor_responded(
            incident=inc.reference, actor=people.l2, note=" Firmware patched. "
        )
    after = reload(inc)
    assert (after.status, after.paused_since, after.paused_seconds) == ("in_progress", None, 7200)
    first.refresh_from_db()
    assert (first.responded_at, first.response_note) == (FROZEN + timedelta(hours=2), "Firmware patched.")
    assert_event(
        audit.event,
        action="vendor_engagement",
        ref=inc.reference,
        before=before,
        actor=people.l2,
        changes={"status": ["pending_vendor", "in_progress"], "vendor_note": [None, "Firmware patched."]},
        extra={"engagement": first.reference},
    )

    frozen.shift(3600)  # working time does not count as paused
    services.incident_engage_vendor(
        incident=inc.reference, actor=people.l2, vendor=people.vendor.reference, contact_method="email"
    )
    frozen.shift(30 * 60)
    before = reload(inc)
    with one_event() as audit:
        services.incident_vendor_responded(incident=inc.reference, actor=people.im)
    after = reload(inc)
    assert (after.paused_seconds, after.paused_since) == (7200 + 1800, None)
    assert_changes(audit.event, {"status": ["pending_vendor", "in_progress"]}, before=before)
    assert audit.event.changes["resolve_due_at"][0] is None  # the clock was stopped


def test_vendor_responded_refuses_roles_that_do_not_engage_vendors(people, make):
    inc = make("pending_vendor", team="L1")
    with refused(DENIED, f"Your role may not record a vendor response on {inc.reference}.", inc):
        services.incident_vendor_responded(incident=inc.reference, actor=people.analyst)


# ---- incident_resolve (SOP 11) -----------------------------------------------------------
def test_resolve_records_summary_and_time(people, make, frozen):
    inc = make("in_progress", team="L1")
    with one_event() as audit:
        services.incident_resolve(
            incident=inc.reference,
            actor=people.l1,
            resolution_summary=" Replaced the disk. ",
            service_restored=True,
        )
    after = reload(inc)
    assert (after.status, after.resolution_summary, after.service_restored) == (
        "resolved",
        "Replaced the disk.",
        True,
    )
    assert after.resolved_at == FROZEN
    assert_event(
        audit.event,
        action="resolve",
        ref=inc.reference,
        before=inc,
        actor=people.l1,
        changes={"status": ["in_progress", "resolved"], "resolution_summary": [None, "Replaced the disk."]},
    )


def test_resolve_while_pending_vendor_stops_the_pause(people, make, frozen):
    inc = make("pending_vendor", team="L2")
    frozen.shift(3600)
    services.incident_resolve(
        incident=inc.reference, actor=people.l2, resolution_summary="Vendor fixed it.", service_restored=True
    )
    after = reload(inc)
    assert (after.status, after.paused_since, after.paused_seconds) == ("resolved", None, 3600)


def test_resolve_refuses_missing_summary(people, make):
    inc = make("in_progress")
    with refused(
        V,
        "A resolution needs a resolution_summary.",
        inc,
        fields={"resolution_summary": ["This field is required."]},
    ):
        services.incident_resolve(
            incident=inc.reference, actor=people.analyst, resolution_summary="", service_restored=True
        )


@pytest.mark.parametrize("restored", [False, None, "true"])
def test_resolve_refuses_unconfirmed_restoration(people, make, restored):
    inc = make("in_progress")
    with refused(
        V,
        "An incident is resolved only once service is restored: confirm service_restored.",
        inc,
        fields={"service_restored": ["Must be true."]},
    ):
        services.incident_resolve(
            incident=inc.reference,
            actor=people.analyst,
            resolution_summary="Fixed.",
            service_restored=restored,
        )


# ---- incident_communicate (SOP 12) -------------------------------------------------------
def test_communicate_records_the_message_and_stakeholder_update(people, make, frozen):
    inc = make("in_progress", priority="P2")
    people.reporter.email = "reporter@example.com"  # an address to deliver to: the e-mail is pending
    people.reporter.save(update_fields=["email"])
    with one_event() as audit:
        _, communication = services.incident_communicate(
            incident=inc.reference,
            actor=people.analyst,
            recipients=["stakeholders", "end_users", "stakeholders"],
            message=" Fix expected by noon. ",
            channel="email",
        )
    after = reload(inc)
    assert after.last_stakeholder_update_at == FROZEN
    assert after.version == inc.version + 1
    communication = Communication.objects.get(pk=communication.pk)
    assert communication.subject_ref == inc.reference
    assert communication.recipients == ["end_users", "stakeholders"]
    assert (communication.message, communication.channel, communication.kind) == (
        "Fix expected by noon.",
        "email",
        "update",
    )
    assert (communication.sender, communication.delivery_status) == (people.analyst, "pending")
    assert_event(
        audit.event,
        action="notify",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={"communication": [None, communication.reference]},
        extra={"recipients": ["end_users", "stakeholders"], "channel": "email"},
    )


def test_communicate_to_end_users_is_no_stakeholder_update(people, make):
    inc = make("resolved")
    _, communication = services.incident_communicate(
        incident=inc.reference, actor=people.im, recipients=["end_users"], message="Fixed."
    )
    assert reload(inc).last_stakeholder_update_at is None
    assert (communication.channel, communication.delivery_status) == ("ims", "recorded")


@pytest.mark.parametrize(
    ("kwargs", "message", "fields"),
    [
        (
            {"recipients": ["reporter"]},
            "Unknown recipient group(s): reporter. Use end_users, stakeholders, executives, IT_staff.",
            {"recipients": ["Unknown: reporter"]},
        ),
        (
            {"recipients": ["team", "press"]},
            "Unknown recipient group(s): press, team. Use end_users, stakeholders, executives, IT_staff.",
            {"recipients": ["Unknown: press, team"]},
        ),
        (
            {"recipients": []},
            "Name at least one recipient group.",
            {"recipients": ["This field is required."]},
        ),
        ({"message": "  "}, "A message is required.", {"message": ["This field is required."]}),
        (
            {"channel": "sms"},
            "Channel must be one of ims, email, webhook, meeting.",
            {"channel": ["Invalid choice."]},
        ),
    ],
)
def test_communicate_refuses_invalid_input(people, make, kwargs, message, fields):
    inc = make("in_progress")
    kwargs = {"recipients": ["end_users"], "message": "Update.", **kwargs}
    with refused(V, message, inc, fields=fields):
        services.incident_communicate(incident=inc.reference, actor=people.analyst, **kwargs)


def test_communicate_refuses_resolvers(people, make):
    inc = make("in_progress", team="L1")
    with refused(DENIED, f"Your role may not send communications on {inc.reference}.", inc):
        services.incident_communicate(
            incident=inc.reference, actor=people.l1, recipients=["end_users"], message="Hi."
        )


# ---- incident_close (SOP 13) -------------------------------------------------------------
def test_close_p3_by_analyst_after_the_grace_period(people, make, frozen):
    inc = make("resolved", priority="P3")
    frozen.shift(3 * 86400 + 60)  # the grace period (3 days) is over
    with one_event() as audit:
        services.incident_close(
            incident=inc.reference, actor=people.analyst, closure_notes=" User confirmed. "
        )
    after = reload(inc)
    assert (after.status, after.closure_notes, after.closed_at) == (
        "closed",
        "User confirmed.",
        FROZEN + timedelta(days=3, seconds=60),
    )
    assert_event(
        audit.event,
        action="close",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={"status": ["resolved", "closed"], "closure_notes": [None, "User confirmed."]},
    )


@pytest.mark.parametrize("priority", ["P3", "P4"])
def test_close_p3_p4_by_analyst_within_the_grace_period_is_refused(people, make, frozen, priority):
    """Issue 15 #7 (seed 002: "always allow a grace period"): the reporter confirms or
    reopens first; an analyst may not take that chance away."""
    inc = make("resolved", priority=priority)
    frozen.shift(3 * 86400)  # the last moment of the grace period
    with refused(
        DENIED,
        f"{inc.reference} is {priority}: it closes when its reporter confirms restoration, or by itself "
        "when the grace period ends (2026-03-05 10:00 UTC). Only a service desk manager or an incident "
        "manager may close it sooner.",
        inc,
    ):
        services.incident_close(incident=inc.reference, actor=people.analyst, closure_notes="Done.")


@pytest.mark.parametrize("manager", ["sdm", "im"])
def test_close_p3_within_the_grace_period_by_a_manager_is_an_audited_override(people, make, frozen, manager):
    inc = make("resolved", priority="P3")
    frozen.shift(60)
    actor = getattr(people, manager)
    with one_event() as audit:
        services.incident_close(incident=inc.reference, actor=actor, closure_notes="User called: fixed.")
    assert reload(inc).status == "closed"
    assert_event(
        audit.event,
        action="close",
        ref=inc.reference,
        before=inc,
        actor=actor,
        changes={"status": ["resolved", "closed"], "closure_notes": [None, "User called: fixed."]},
        extra={"grace_period_override": "2026-03-05T10:00:00+00:00"},
    )


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_close_high_priority_by_analyst_is_refused(people, make, priority):
    inc = make("resolved", priority=priority)
    with refused(
        DENIED,
        f"{inc.reference} is {priority}: only an incident manager or a service desk manager may close a "
        "high-priority incident.",
        inc,
    ):
        services.incident_close(incident=inc.reference, actor=people.analyst, closure_notes="Done.")


def test_close_p1_by_the_service_desk_manager_who_reported_it_is_refused(people, make):
    inc = make("resolved", priority="P1", reporter=people.sdm)
    with refused(
        SOD,
        f"You reported {inc.reference}; a high-priority incident must be closed by another incident manager "
        "or service desk manager.",
        inc,
    ):
        services.incident_close(incident=inc.reference, actor=people.sdm, closure_notes="Done.")


def test_close_p1_by_the_incident_manager_who_reported_it_is_refused(people, make):
    inc = make("resolved", priority="P1", reporter=people.im)
    with refused(SOD, f"You reported {inc.reference}; a high-priority incident must be closed by another "
                 "incident manager or service desk manager.", inc):  # fmt: skip
        services.incident_close(incident=inc.reference, actor=people.im, closure_notes="Done.")


def test_close_p1_by_an_incident_manager(people, make):
    inc = make("resolved", priority="P1", reporter=people.sdm)
    with one_event() as audit:
        services.incident_close(incident=inc.reference, actor=people.im, closure_notes="PIR scheduled.")
    assert reload(inc).status == "closed"
    assert audit.event.actor_label == people.im.username


def test_close_p2_by_another_service_desk_manager(people, make, make_user):
    inc = make("resolved", priority="P2", reporter=people.sdm)
    other_sdm = make_user("service_desk_manager")
    services.incident_close(incident=inc.reference, actor=other_sdm, closure_notes="Done.")
    assert reload(inc).status == "closed"


def test_close_refuses_missing_notes(people, make):
    inc = make("resolved")
    with refused(
        V, "Closing needs closure_notes.", inc, fields={"closure_notes": ["This field is required."]}
    ):
        services.incident_close(incident=inc.reference, actor=people.analyst, closure_notes=" ")


# ---- incident_confirm (SOP 13, reporter) -------------------------------------------------
def test_confirm_by_reporter_closes_p3(people, make, frozen):
    inc = make("resolved", priority="P3")
    with one_event() as audit:
        services.incident_confirm(incident=inc.reference, actor=people.reporter, note=" Works again. ")
    after = reload(inc)
    notes = "Restoration confirmed by the reporter. Works again."
    assert (after.status, after.closure_notes, after.closed_at) == ("closed", notes, FROZEN)
    assert_event(
        audit.event,
        action="close",
        ref=inc.reference,
        before=inc,
        actor=people.reporter,
        changes={"status": ["resolved", "closed"], "closure_notes": [None, notes]},
        extra={"confirmed_by_reporter": True},
    )


def test_confirm_without_note(people, make):
    inc = make("resolved", priority="P4")
    services.incident_confirm(incident=inc.reference, actor=people.reporter)
    assert reload(inc).closure_notes == "Restoration confirmed by the reporter."


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_confirm_refused_for_high_priority(people, make, priority):
    inc = make("resolved", priority=priority)
    with refused(
        DENIED,
        f"{inc.reference} is {priority}: a high-priority incident is closed by an incident manager or "
        "service desk manager, not by the reporter's confirmation.",
        inc,
    ):
        services.incident_confirm(incident=inc.reference, actor=people.reporter)


@pytest.mark.parametrize("who", ["analyst", "im"])
def test_confirm_refused_for_non_reporter(people, make, who):
    inc = make("resolved")
    with refused(DENIED, f"Only the reporter of {inc.reference} may confirm its restoration.", inc):
        services.incident_confirm(incident=inc.reference, actor=getattr(people, who))


def test_confirm_by_another_end_user_is_not_found(people, make):
    inc = make("resolved")
    with refused(NOT_FOUND, f"Incident {inc.reference} was not found.", inc):
        services.incident_confirm(incident=inc.reference, actor=people.other_user)


# ---- incident_reopen ---------------------------------------------------------------------
def test_reopen_by_reporter_within_grace(people, make, frozen):
    inc = make("resolved")
    frozen.move_to(FROZEN + timedelta(days=3))  # the last moment of the grace period
    with one_event() as audit:
        services.incident_reopen(incident=inc.reference, actor=people.reporter, reason=" Broken again. ")
    after = reload(inc)
    assert (after.status, after.reopen_count, after.resolved_at, after.service_restored) == (
        "in_progress",
        1,
        None,
        False,
    )
    assert after.resolution_summary == "Restarted the service."
    assert_event(
        audit.event,
        action="reopen",
        ref=inc.reference,
        before=inc,
        actor=people.reporter,
        changes={"status": ["resolved", "in_progress"], "reason": [None, "Broken again."]},
    )


def test_reopen_by_analyst(people, make):
    inc = make("resolved")
    services.incident_reopen(incident=inc.reference, actor=people.analyst, reason="Monitoring red again.")
    assert reload(inc).status == "in_progress"


def test_reopen_after_grace_period_is_refused(people, make, frozen):
    inc = make("resolved")
    frozen.move_to(FROZEN + timedelta(days=3, seconds=1))
    with refused(
        PRECONDITION,
        f"The grace period of {inc.reference} ended at 2026-03-05 10:00 UTC; report a new incident instead.",
        inc,
    ):
        services.incident_reopen(incident=inc.reference, actor=people.reporter, reason="Broken again.")


def test_reopen_refuses_missing_reason(people, make):
    inc = make("resolved")
    with refused(V, "Reopening needs a reason.", inc, fields={"reason": ["This field is required."]}):
        services.incident_reopen(incident=inc.reference, actor=people.reporter, reason="")


def test_reopen_refuses_a_resolver(people, make):
    inc = make("resolved", team="L1")
    with refused(DENIED, f"Your role may not reopen {inc.reference}.", inc):
        services.incident_reopen(incident=inc.reference, actor=people.l1, reason="x")


# ---- incident_set_major_roles ------------------------------------------------------------
def test_set_major_roles_on_a_p1(people, make):
    inc = make("in_progress", priority="P1")
    with one_event() as audit:
        services.incident_set_major_roles(
            incident=inc.reference,
            actor=people.sdm,
            incident_commander=people.im.username,
            communications_lead=people.analyst.username,
            technical_lead=people.l3.username,
        )
    after = reload(inc)
    assert (after.incident_commander, after.communications_lead, after.technical_lead) == (
        people.im,
        people.analyst,
        people.l3,
    )
    assert after.version == inc.version + 1
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=inc,
        actor=people.sdm,
        changes={
            "incident_commander": [None, people.im.username],
            "communications_lead": [None, people.analyst.username],
            "technical_lead": [None, people.l3.username],
        },
    )


def test_set_major_roles_replaces_one_role(people, make, make_user):
    inc = make("open", priority="P1")
    services.incident_set_major_roles(
        incident=inc.reference, actor=people.im, incident_commander=people.im.username
    )
    successor = make_user("incident_manager")
    before = reload(inc)
    with one_event() as audit:
        services.incident_set_major_roles(
            incident=inc.reference, actor=people.im, incident_commander=successor.username
        )
    assert reload(inc).incident_commander == successor
    assert_changes(
        audit.event, {"incident_commander": [people.im.username, successor.username]}, before=before
    )


def test_set_major_roles_refused_on_a_non_p1(people, make):
    inc = make("in_progress", priority="P2")
    with refused(PRECONDITION, f"{inc.reference} is P2; major-incident roles belong to P1 incidents.", inc):
        services.incident_set_major_roles(
            incident=inc.reference, actor=people.im, incident_commander=people.im.username
        )


def test_set_major_roles_refuses_nothing_to_set(people, make):
    inc = make("open", priority="P1")
    with refused(
        V,
        "Name at least one of incident_commander, communications_lead, technical_lead.",
        inc,
        fields={"non_field_errors": ["Nothing to set."]},
    ):
        services.incident_set_major_roles(incident=inc.reference, actor=people.im)


def test_set_major_roles_refuses_unknown_user(people, make):
    inc = make("open", priority="P1")
    with refused(V, "No active user ghost.", inc, fields={"technical_lead": ["No active user ghost."]}):
        services.incident_set_major_roles(incident=inc.reference, actor=people.im, technical_lead="ghost")


def test_set_major_roles_refuses_no_change(people, make):
    inc = make("open", priority="P1")
    services.incident_set_major_roles(
        incident=inc.reference, actor=people.im, technical_lead=people.l3.username
    )
    inc = reload(inc)
    with refused(V, f"{inc.reference} already has these roles.", inc):
        services.incident_set_major_roles(
            incident=inc.reference, actor=people.im, technical_lead=people.l3.username
        )


def test_set_major_roles_refuses_the_analyst(people, make):
    inc = make("open", priority="P1")
    with refused(DENIED, f"Your role may not set the major-incident roles of {inc.reference}.", inc):
        services.incident_set_major_roles(
            incident=inc.reference, actor=people.analyst, incident_commander=people.im.username
        )


@pytest.mark.parametrize(
    ("field", "who", "message", "field_error"),
    [
        (
            "incident_commander",
            "analyst",
            "The incident commander of {ref} must be an incident manager; {user} is not.",
            "Not an incident manager.",
        ),
        (
            "technical_lead",
            "reporter",
            "{user} does not work incidents, so cannot be the technical lead of {ref}.",
            "Not a member of staff who works incidents.",
        ),
        (
            "communications_lead",
            "auditor",
            "{user} does not work incidents, so cannot be the communications lead of {ref}.",
            "Not a member of staff who works incidents.",
        ),
    ],
)
def test_set_major_roles_refuses_who_may_not_hold_the_role(people, make, field, who, message, field_error):
    """Issue 15 #8: a role holder works incidents (an end user named commander got 404 on
    the incident they were to command)."""
    inc = make("open", priority="P1")
    user = getattr(people, who)
    with refused(
        V, message.format(ref=inc.reference, user=user.username), inc, fields={field: [field_error]}
    ):
        services.incident_set_major_roles(incident=inc.reference, actor=people.im, **{field: user.username})


def test_set_major_roles_refuses_who_may_not_see_a_security_incident(people, make):
    inc = make("open", priority="P1", category="security")
    with refused(
        V,
        f"{people.l2.username} may not see {inc.reference} (a security incident), so cannot be its "
        "technical lead.",
        inc,
        fields={"technical_lead": [f"May not see {inc.reference}."]},
    ):
        services.incident_set_major_roles(
            incident=inc.reference, actor=people.im, technical_lead=people.l2.username
        )
    services.incident_set_major_roles(
        incident=inc.reference, actor=people.im, technical_lead=people.l3.username
    )
    assert reload(inc).technical_lead == people.l3


def test_categorize_as_security_moves_it_to_a_team_that_may_see_it(people, make):
    """Issue 15 #8: recategorized as security, an incident held by L2 moves to L3 (its L2
    assignee unassigned), and L3 is told, in the categorize operation's one write."""
    inc = make("in_progress", team="L2")
    services.incident_assign(incident=inc.reference, actor=people.im, team="L2", assignee=people.l2.username)
    before_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    services.incident_categorize(incident=inc.reference, actor=people.analyst, category="security")
    after = reload(inc)
    assert (after.category, after.assigned_team.code, after.assignee, after.status) == (
        "security",
        "L3",
        None,
        "in_progress",
    )
    notify, update = AuditEvent.objects.filter(seq__gt=before_seq).order_by("seq")
    assert update.changes == {
        "category": ["software", "security"],
        "team": ["L2", "L3"],
        "assignee": [people.l2.username, None],
    }
    notice = Communication.objects.get(reference=notify.changes["communication"][1])
    assert (notice.kind, notice.recipients, notice.recipient_detail) == ("escalation_notice", ["team"], "L3")
    assert notice.message == (
        f"{inc.reference} (P3, {inc.title}) is now a security incident, which only L3 and incident "
        "managers may see; it moves from L2 to L3."
    )
    # an L3 assignee stays, and an unassigned incident is left to the desk's routing
    kept = make("in_progress", team="L3")
    services.incident_assign(incident=kept.reference, actor=people.im, team="L3", assignee=people.l3.username)
    services.incident_categorize(incident=kept.reference, actor=people.im, category="security")
    assert (reload(kept).assigned_team.code, reload(kept).assignee) == ("L3", people.l3)


# ---- incident_edit -----------------------------------------------------------------------
def test_edit_title_and_subcategory(people, make):
    inc = make("in_progress")
    with one_event() as audit:
        services.incident_edit(
            incident=inc.reference,
            actor=people.analyst,
            title=" Mail down for sales ",
            subcategory=" Exchange ",
        )
    after = reload(inc)
    assert (after.title, after.subcategory, after.status, after.version) == (
        "Mail down for sales",
        "Exchange",
        "in_progress",
        inc.version + 1,
    )
    assert_event(
        audit.event,
        action="update",
        ref=inc.reference,
        before=inc,
        actor=people.analyst,
        changes={"title": [inc.title, "Mail down for sales"], "subcategory": ["", "Exchange"]},
    )


def test_edit_refuses_nothing_to_change(people, make):
    inc = make("open")
    with refused(
        V, f"Nothing to change on {inc.reference}.", inc, fields={"non_field_errors": ["Unchanged."]}
    ):
        services.incident_edit(incident=inc.reference, actor=people.analyst, title=inc.title)


def test_edit_refuses_blank_title(people, make):
    inc = make("open")
    with refused(V, "An incident needs a title.", inc, fields={"title": ["This field is required."]}):
        services.incident_edit(incident=inc.reference, actor=people.analyst, title="  ")


# ---- incident_record_read ----------------------------------------------------------------
def test_record_read_audits_a_security_incident(people, make):
    inc = make("open", category="security")
    with one_event() as audit:
        services.incident_record_read(incident=inc, actor=people.auditor)
    assert_event(audit.event, action="read", ref=inc.reference, actor=people.auditor, changes=None)
    assert reload(inc).version == inc.version


def test_record_read_of_an_ordinary_incident_writes_nothing(people, make):
    inc = make("open", category="software")
    before = snapshot(inc)
    services.incident_record_read(incident=inc, actor=people.auditor)
    assert snapshot(inc) == before


# ---- refusals every operation shares -----------------------------------------------------
@dataclass(frozen=True)
class Op:
    name: str
    call: Callable  # call(people, incident=..., actor=..., expected_version=...)
    ok_state: str  # a state the operation accepts
    bad_state: str  # a state it refuses
    allowed_text: str  # the end of the invalid_transition message
    label: str  # the operation in permission messages
    priority: str = "P3"
    by_reporter: bool = False


S = services
OPS = [
    Op("log", lambda p, **kw: S.incident_log(description="More detail.", **kw), "open", "resolved",
       f"{ACTIVE_TEXT} can be logged", "log details on"),
    Op("edit", lambda p, **kw: S.incident_edit(title="A better title", **kw), "open", "closed",
       f"{ACTIVE_TEXT} can be edited", "edit"),
    Op("categorize", lambda p, **kw: S.incident_categorize(category="network", **kw), "open", "resolved",
       f"{ACTIVE_TEXT} can be categorized", "categorize"),
    Op("prioritize", lambda p, **kw: S.incident_prioritize(priority="P2", justification="VIP.", **kw),
       "open", "resolved", f"{ACTIVE_TEXT} can be prioritized", "prioritize"),
    Op("assign", lambda p, **kw: S.incident_assign(team="L2", **kw), "open", "pending_vendor",
       "open, in_progress or escalated can be assigned", "assign"),
    Op("diagnose", lambda p, **kw: S.incident_diagnose(steps="Read the logs.", **kw), "in_progress",
       "resolved", f"{ACTIVE_TEXT} can be diagnosed", "record a diagnosis on"),
    Op("escalate", lambda p, **kw: S.incident_escalate(target="L3", reason="Needs L3.", **kw), "in_progress",
       "resolved", "open, in_progress or escalated can be escalated", "escalate"),
    Op("engage_vendor",
       lambda p, **kw: S.incident_engage_vendor(vendor=p.vendor.reference, contact_method="phone", **kw),
       "in_progress", "open", "in_progress or escalated can be handed to a vendor", "engage a vendor on"),
    Op("vendor_responded", lambda p, **kw: S.incident_vendor_responded(note="Patched.", **kw),
       "pending_vendor", "in_progress", "pending_vendor can be marked as answered by the vendor",
       "record a vendor response on"),
    Op("resolve",
       lambda p, **kw: S.incident_resolve(resolution_summary="Fixed.", service_restored=True, **kw),
       "in_progress", "open", "in_progress, escalated or pending_vendor can be resolved", "resolve"),
    Op("communicate",
       lambda p, **kw: S.incident_communicate(recipients=["end_users"], message="On it.", **kw),
       "in_progress", "closed",
       "open, in_progress, escalated, pending_vendor or resolved can be communicated on",
       "send communications on"),
    Op("close", lambda p, **kw: S.incident_close(closure_notes="Done.", **kw), "resolved", "in_progress",
       "resolved can be closed", "close"),
    Op("confirm", lambda p, **kw: S.incident_confirm(note="Fine.", **kw), "resolved", "in_progress",
       "resolved can be confirmed as restored", "confirm restoration of", by_reporter=True),
    Op("reopen", lambda p, **kw: S.incident_reopen(reason="Broken again.", **kw), "resolved", "closed",
       "resolved can be reopened", "reopen"),
    Op("comment", lambda p, **kw: S.incident_comment(message="Any news?", **kw), "open", "closed",
       "open, in_progress, escalated, pending_vendor or resolved can be commented on", "comment on"),
    Op("set_major_roles",
       lambda p, **kw: S.incident_set_major_roles(incident_commander=p.im.username, **kw), "open", "closed",
       "open, in_progress, escalated, pending_vendor or resolved can be given major-incident roles",
       "set the major-incident roles of", priority="P1"),
]  # fmt: skip
OP_IDS = [op.name for op in OPS]


def _actor(op: Op, people):
    return people.reporter if op.by_reporter else people.im


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
def test_every_operation_succeeds_at_the_current_version(op, people, make):
    """The control for the refusals below: the same call, valid, writes one event."""
    inc = make(op.ok_state, priority=op.priority)
    with one_event(acknowledging=op.name == "assign" and inc.acknowledged_at is None) as audit:
        op.call(people, incident=inc.reference, actor=_actor(op, people), expected_version=inc.version)
    assert reload(inc).version == inc.version + 1
    assert audit.event.ref_id == inc.reference


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
def test_every_operation_refuses_a_stale_version(op, people, make):
    inc = make(op.ok_state, priority=op.priority)
    stale = inc.version - 1 if inc.version > 1 else inc.version + 1
    with refused(
        CONFLICT,
        f"{inc.reference} changed since you loaded it (version {stale}, now {inc.version}). "
        "Reload it and try again.",
        inc,
        fields={"version": inc.version},
    ):
        op.call(people, incident=inc.reference, actor=_actor(op, people), expected_version=stale)


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
def test_every_operation_refuses_a_wrong_state(op, people, make):
    inc = make(op.bad_state, priority=op.priority)
    with refused(
        INVALID, f"{inc.reference} is {op.bad_state}; only an incident that is {op.allowed_text}.", inc
    ):
        op.call(people, incident=inc.reference, actor=_actor(op, people))


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
def test_every_operation_refuses_a_missing_incident(op, people):
    with refused(NOT_FOUND, f"Incident {MISSING} was not found."):
        op.call(people, incident=MISSING, actor=_actor(op, people))


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
def test_every_operation_treats_an_invisible_incident_as_missing(op, people, make):
    """A security incident the analyst did not report does not exist for the analyst, and
    another user's incident does not exist for an end user."""
    secret = make(op.ok_state, priority=op.priority, category="security", team="L3", escalate_to="L3")
    with refused(NOT_FOUND, f"Incident {secret.reference} was not found.", secret):
        op.call(people, incident=secret.reference, actor=people.analyst)
    theirs = make(op.ok_state, priority=op.priority, reporter=people.other_user)
    with refused(NOT_FOUND, f"Incident {theirs.reference} was not found.", theirs):
        op.call(people, incident=theirs.reference, actor=people.reporter)


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
def test_every_operation_refuses_the_auditor(op, people, make):
    inc = make(op.ok_state, priority=op.priority)
    if op.name == "confirm":
        message = f"Only the reporter of {inc.reference} may confirm its restoration."
    else:
        message = f"Your role may not {op.label} {inc.reference}."
    with refused(DENIED, message, inc):
        op.call(people, incident=inc.reference, actor=people.auditor)


def test_the_shared_refusal_table_covers_every_service():
    """A new SOP service in the incidents/services/sop package must join OPS (or get its own tests)."""
    public = {name for name in dir(sop) if name.startswith("incident_") and callable(getattr(sop, name))}
    covered = {f"incident_{op.name}" for op in OPS} | {"incident_create"}  # reads live in reads.py
    assert public == covered


# ---- lengths are checked by the services, not only by serializers -------------------------


def test_create_refuses_a_title_over_200_characters(people, svc):
    with refused(
        ErrorCode.VALIDATION_ERROR,
        "title is 201 characters long; the limit is 200.",
        fields={"title": ["At most 200 characters."]},
    ):
        create(people.analyst, svc, title="x" * 201)


def test_categorize_refuses_a_subcategory_over_100_characters(people, make):
    inc = make("open")
    with refused(
        ErrorCode.VALIDATION_ERROR, "subcategory is 101 characters long; the limit is 100.", incident=inc
    ):
        services.incident_categorize(incident=inc.reference, actor=people.analyst, category="network",
                                     subcategory="y" * 101)  # fmt: skip


def test_engage_vendor_refuses_a_vendor_reference_over_100_characters(people, make, vendor):
    inc = make("in_progress", team="L2")
    with refused(
        ErrorCode.VALIDATION_ERROR, "vendor_reference is 101 characters long; the limit is 100.", incident=inc
    ):
        services.incident_engage_vendor(
            incident=inc.reference, actor=people.im, vendor=vendor.reference, contact_method="email",
            vendor_reference="z" * 101,
        )  # fmt: skip


def test_create_refuses_an_auditor(make_user, svc):
    auditor = make_user("auditor")
    with refused(
        ErrorCode.PERMISSION_DENIED,
        "Auditors read everything and change nothing; an auditor cannot report incidents.",
    ):
        create(auditor, svc)


# ---- security incidents stay with the teams that may see them -----------------------------


def test_assign_refuses_to_hand_a_security_incident_to_a_team_that_cannot_see_it(people, make):
    inc = make("open", category="security")
    with refused(
        ErrorCode.PRECONDITION_FAILED,
        f"{inc.reference} is a security incident, which only L3 and incident managers may see; "
        "assign it to L3, not L2.",
        incident=inc,
    ):
        services.incident_assign(incident=inc.reference, actor=people.im, team="L2")
    services.incident_assign(incident=inc.reference, actor=people.im, team="L3")
    assert reload(inc).assigned_team.code == "L3"


def test_escalate_refuses_to_hand_a_security_incident_to_a_team_that_cannot_see_it(people, make):
    inc = make("open", category="security")
    with refused(
        ErrorCode.PRECONDITION_FAILED,
        f"{inc.reference} is a security incident, which only L3 and incident managers may see; "
        "escalate it to L3 or incident_manager, not devops.",
        incident=inc,
    ):
        services.incident_escalate(incident=inc.reference, actor=people.im, target="devops", reason="x")
    services.incident_escalate(incident=inc.reference, actor=people.im, target="incident_manager", reason="x")
    assert reload(inc).assigned_team.code == "incident_manager"


# ---- comments (SPEC.md: end users comment) ------------------------------------------------


def test_the_reporter_comments_to_the_team_working_the_incident(people, make):
    inc = make("in_progress", team="L1")
    with one_event() as audit:
        _, comment = services.incident_comment(
            incident=inc.reference, actor=people.reporter, message=" Still down. "
        )
    assert (comment.kind, comment.recipients, comment.recipient_detail) == ("comment", ["IT_staff"], "L1")
    assert (comment.message, comment.sender) == ("Still down.", people.reporter)
    assert_event(audit.event, action="notify", ref=inc.reference, actor=people.reporter,
                 changes={"comment": [None, comment.reference]}, before=inc)  # fmt: skip


def test_staff_comment_goes_to_the_reporter(people, make):
    inc = make("in_progress", team="L1")
    _, comment = services.incident_comment(incident=inc.reference, actor=people.l1, message="Try now.")
    assert (comment.recipients, comment.recipient_detail) == (["reporter"], people.reporter.username)


def test_comment_refuses_an_empty_message(people, make):
    inc = make("open")
    with refused(ErrorCode.VALIDATION_ERROR, "A comment needs a message.", incident=inc):
        services.incident_comment(incident=inc.reference, actor=people.reporter, message="  ")


def test_comment_refuses_an_end_user_who_did_not_report_it(people, make):
    inc = make("open")
    with refused(ErrorCode.NOT_FOUND, f"Incident {inc.reference} was not found.", incident=inc):
        services.incident_comment(incident=inc.reference, actor=people.other_user, message="Me too")

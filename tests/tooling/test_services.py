"""SOP 17: recording a tool usage — every success and every refusal (code, message, and
that nothing was written)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from tooling.models import ToolUsage
from tooling.services import tool_usage_record

pytestmark = pytest.mark.django_db


def events(ref: str) -> list[str]:
    return list(AuditEvent.objects.filter(ref_id=ref).order_by("seq").values_list("domain_action", flat=True))


def refused(code, message, **kw):
    before = (ToolUsage.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as caught:
        tool_usage_record(**kw)
    assert (caught.value.code, caught.value.message) == (code, message)
    assert (ToolUsage.objects.count(), AuditEvent.objects.count()) == before
    return caught.value


def test_recording_writes_the_usage_and_a_tool_use_event_on_each_record(people, make):
    incident = make("in_progress", team="L2")
    version = incident.version
    usage = tool_usage_record(
        incident=incident.reference,
        tool="root_cause_analysis",
        outcome="recommended",
        action_summary="  Ran the RCA tool on the logs.  ",
        actor=people.l2,
    )
    usage.refresh_from_db()
    assert usage.reference.startswith("TOOL-")
    assert (usage.incident_id, usage.tool, usage.outcome, usage.executor, usage.action_summary) == (
        incident.pk,
        "root_cause_analysis",
        "recommended",
        people.l2,
        "Ran the RCA tool on the logs.",
    )
    assert (usage.service_id, usage.category, usage.automation_candidate) == (
        incident.affected_service_id,
        incident.category,
        False,
    )
    assert events(usage.reference) == ["tool_use"]
    assert events(incident.reference)[-1] == "tool_use"
    head = AuditEvent.objects.filter(ref_id=incident.reference).order_by("-seq").first()
    assert head.changes["tool_usage"] == [None, usage.reference]
    assert Incident.objects.get(pk=incident.pk).version == version + 1


def test_an_incident_manager_records_on_any_incident_and_on_a_resolved_one(people, make):
    incident = make("resolved", team="L1")
    recorded = tool_usage_record(
        incident=incident.reference, tool="AIOps", outcome="applied", action_summary="Alert", actor=people.im
    )
    assert recorded.tool == "AIOps"


def test_a_team_engineer_is_refused_on_another_teams_incident(people, make):
    incident = make("in_progress", team="L1")
    refused(ErrorCode.PERMISSION_DENIED,
            f"You may record tool usage on {incident.reference} only while it is assigned to your team; "
            "it is assigned to L1.",
            incident=incident.reference, tool="monitoring", outcome="noted", action_summary="x",
            actor=people.l2)  # fmt: skip


@pytest.mark.parametrize("who", ["analyst", "l1", "sdm", "auditor", "admin"])
def test_other_roles_are_refused(people, make, who):
    incident = make("in_progress", team="L1")
    refused(ErrorCode.PERMISSION_DENIED,
            "Your role may not record tool usage. Only L2, L3 and DevOps engineers (on incidents assigned to "
            "their team) and incident managers may.",
            incident=incident.reference, tool="monitoring", outcome="noted", action_summary="x",
            actor=getattr(people, who))  # fmt: skip


def test_an_incident_the_actor_may_not_see_is_not_found(people, make):
    incident = make("open")
    refused(ErrorCode.NOT_FOUND, f"Incident {incident.reference} was not found.",
            incident=incident.reference, tool="monitoring", outcome="noted", action_summary="x",
            actor=people.other_user)  # fmt: skip


def test_a_closed_incident_is_refused(people, make):
    incident = make("closed")
    refused(ErrorCode.INVALID_TRANSITION,
            f"{incident.reference} is closed; tool usage can be recorded only on an incident that is open, "
            "in_progress, escalated, pending_vendor or resolved. Reopen it first.",
            incident=incident.reference, tool="monitoring", outcome="noted", action_summary="x",
            actor=people.im)  # fmt: skip


def test_a_stale_incident_version_is_a_conflict(people, make):
    incident = make("open")
    refused(ErrorCode.CONFLICT,
            f"{incident.reference} changed since you loaded it (version {incident.version - 1}, now "
            f"{incident.version}). Reload it and try again.",
            incident=incident.reference, tool="monitoring", outcome="noted", action_summary="x",
            actor=people.im, incident_version=incident.version - 1)  # fmt: skip


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "tool",
            "hammer",
            "tool must be one of monitoring, root_cause_analysis, ITSM_service_desk, "
            "incident_response, AI_virtual_agent, AIOps, automation_script; got 'hammer'.",
        ),
        ("outcome", "great", "outcome must be one of applied, recommended, noted, failed; got 'great'."),
        ("action_summary", "   ", "Say what was done with the tool (action_summary)."),
        ("action_summary", "x" * 4001, "action_summary is 4001 characters long; the limit is 4000."),
    ],
)
def test_input_is_checked(people, make, field, value, message):
    incident = make("open")
    body = {"tool": "monitoring", "outcome": "noted", "action_summary": "x", field: value}
    error = refused(ErrorCode.VALIDATION_ERROR, message, incident=incident.reference, actor=people.im, **body)
    assert field in error.fields


def test_no_incident_named_is_a_validation_error(people):
    refused(ErrorCode.VALIDATION_ERROR, "Name the incident the tool was used on.", incident=" ",
            tool="monitoring", outcome="noted", action_summary="x", actor=people.im)  # fmt: skip


def test_the_third_script_for_a_service_and_category_within_30_days_is_an_automation_candidate(
    people, make, usage, svc
):
    script = {"tool": "automation_script", "outcome": "applied", "action_summary": "Ran clear-cache.sh"}
    first, second = make("open"), make("open")
    other_category = make("open", category="hardware")
    assert usage(first, **script).automation_candidate is False
    assert usage(other_category, **script).automation_candidate is False  # another kind of incident
    assert usage(first, tool="monitoring").automation_candidate is False  # not a script
    assert usage(second, **script).automation_candidate is False
    third = usage(make("open"), **script)
    assert third.automation_candidate is True
    head = AuditEvent.objects.filter(ref_id=third.reference).get()
    assert head.additional_data == {"automation_candidate": True}
    assert usage(make("open"), **script).automation_candidate is True  # and every one after


def test_uses_older_than_30_days_do_not_count(people, make, usage):
    script = {"tool": "automation_script", "outcome": "applied", "action_summary": "Ran clear-cache.sh"}
    old = [usage(make("open"), **script) for _ in range(2)]
    ToolUsage.objects.filter(pk__in=[u.pk for u in old]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert usage(make("open"), **script).automation_candidate is False

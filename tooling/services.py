"""SOP 17: record a tool usage on an incident — the only writer of tool usages.

The incident is locked through the actor's visibility on the incident's shared path (what
they may not see is not found); the role check, the incident's state and the input are
checked before anything is written; one transaction writes the usage and two ``tool_use``
events (the incident's, then the usage's), and counts the usage in the incident's version.
"""

from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import append_events, build_event
from catalog.models import Service
from core.errors import DomainError, ErrorCode, validation_error
from incidents.selectors import incidents_visible_to
from incidents.services.sop.base import INCIDENTS
from operations import inputs
from operations.path import Governed, join_states
from tooling import rules
from tooling.choices import Outcome, Tool
from tooling.models import ToolUsage
from tooling.policy import authorize
from tooling.selectors import tool_usages_visible_to

TOOL_USAGES = Governed(
    model=ToolUsage,
    visible_to=tool_usages_visible_to,
    authorize=authorize,
    rules={},
    noun="tool usage",
    related=("incident", "executor", "service"),
)


def _require_recordable(incident) -> None:
    if incident.status not in rules.RECORDABLE_STATES:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"{incident.reference} is {incident.status}; tool usage can be recorded only on an incident "
            f"that is {join_states(rules.RECORDABLE_STATES)}. Reopen it first.",
        )


def is_automation_candidate(tool: str, service, category: str, now) -> bool:
    """Whether this use of ``tool`` makes the manual script's use on incidents of ``service``
    and ``category`` reach ``CANDIDATE_USES`` within ``CANDIDATE_WINDOW`` (this one included)."""
    if tool != Tool.AUTOMATION_SCRIPT:
        return False
    # two scripts recorded at once for one service count each other: the service's row
    # serializes them (a no-op on SQLite, which writes one transaction at a time)
    Service.objects.select_for_update().filter(pk=service).first()
    earlier = ToolUsage.objects.filter(
        tool=Tool.AUTOMATION_SCRIPT,
        service=service,
        category=category,
        created_at__gt=now - rules.CANDIDATE_WINDOW,
    ).count()
    return earlier + 1 >= rules.CANDIDATE_USES


def tool_usage_record(
    *, incident, tool: str, action_summary: str, outcome: str, actor, incident_version: int | None = None
) -> ToolUsage:
    """SOP 17: ``actor`` used ``tool`` on ``incident`` (a reference or the row): what they did
    (``action_summary``, required) and how it turned out (``outcome``)."""
    reference = incident if isinstance(incident, str) else getattr(incident, "reference", "")
    if not reference or not str(reference).strip():
        raise validation_error("Name the incident the tool was used on.", incident="This field is required.")
    with transaction.atomic():
        inc = INCIDENTS.lock(incidents_visible_to(actor), str(reference).strip().upper())
        authorize(actor, "record", inc)
        INCIDENTS.check_version(inc, incident_version)
        _require_recordable(inc)
        inputs.choice(tool, Tool, "tool")
        inputs.choice(outcome, Outcome, "outcome")
        summary = rules.TEXT.required(
            action_summary, "action_summary", "Say what was done with the tool (action_summary)."
        )
        now = timezone.now()
        usage = ToolUsage(
            incident=inc,
            tool=tool,
            action_summary=summary,
            outcome=outcome,
            executor=actor,
            service_id=inc.affected_service_id,
            category=inc.category,
            automation_candidate=is_automation_candidate(tool, inc.affected_service_id, inc.category, now),
        )
        usage.save()
        # the usage is an operation on the incident too: its version counts it (its ETag
        # moves with what its detail lists)
        inc.version += 1
        inc.save(update_fields=["version", "updated_at"])
        changes = {"tool": [None, tool], "outcome": [None, outcome]}
        extra = {"automation_candidate": True} if usage.automation_candidate else None
        append_events(
            [
                build_event(
                    action=AuditAction.TOOL_USE,
                    obj=inc,
                    actor=actor,
                    changes={"tool_usage": [None, usage.reference], **changes},
                    extra=extra,
                    at=now,
                ),
                build_event(
                    action=AuditAction.TOOL_USE,
                    obj=usage,
                    actor=actor,
                    changes={"incident": [None, inc.reference], **changes},
                    extra=extra,
                    at=now,
                ),
            ]
        )
        return usage

"""Reads of tool usages, scoped to the viewer: the usages of the incidents they may see."""

from django.db.models import QuerySet

from incidents.selectors import incidents_visible_to
from tooling.models import ToolUsage
from tooling.policy import may_record, may_view
from tooling.rules import RECORDABLE_STATES

ROW_RELATED = ("incident", "executor", "service")


def tool_usages_visible_to(user) -> QuerySet[ToolUsage]:
    if not may_view(user):
        return ToolUsage.objects.none()
    return ToolUsage.objects.filter(incident__in=incidents_visible_to(user))


def tool_usage_rows(user) -> QuerySet[ToolUsage]:
    return tool_usages_visible_to(user).select_related(*ROW_RELATED).order_by("-created_at", "-id")


def incident_tool_usages(incident, user) -> list[dict]:
    """The incident's tool usages as its detail lists them, oldest first: one query."""
    if not may_view(user):
        return []
    rows = ToolUsage.objects.filter(incident=incident).select_related("executor").order_by("created_at", "id")
    return [
        {
            "id": u.reference,
            "tool": u.tool,
            "action_summary": u.action_summary,
            "outcome": u.outcome,
            "executor": u.executor.username,
            "automation_candidate": u.automation_candidate,
            "created_at": u.created_at.isoformat(),
        }
        for u in rows
    ]


def incident_tool_links(user, incident) -> list[str]:
    """``["record_tool_usage"]`` for a viewer who may record one on ``incident`` now."""
    if incident.status not in RECORDABLE_STATES:
        return []
    return ["record_tool_usage"] if may_record(user, incident) else []

"""Reads of incidents, scoped to the viewer. Every list and detail, UI and API, starts here."""

from django.db.models import Q, QuerySet

from core.roles import Role, user_roles
from incidents.choices import Category
from incidents.models import Incident

# Roles that see every incident, security ones included (SPEC.md: Security incidents).
SEE_ALL = frozenset({Role.L3, Role.INCIDENT_MANAGER, Role.AUDITOR, Role.ADMIN})


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Incidents ``user`` may see: end users their own; staff all but security incidents
    (unless they reported them); L3, incident managers, auditors and admins everything."""
    roles = user_roles(user)
    qs = Incident.objects.all()
    if not roles:
        return qs.none()
    if roles & SEE_ALL:
        return qs
    if roles - {Role.END_USER}:
        return qs.filter(~Q(category=Category.SECURITY) | Q(reporter=user))
    return qs.filter(reporter=user)


def incident_list_queryset(user) -> QuerySet[Incident]:
    """The visible incidents with what a list row shows, in a constant number of queries."""
    return incidents_visible_to(user).select_related(
        "reporter", "affected_service", "assigned_team", "assignee"
    )


def incident_detail_queryset(user) -> QuerySet[Incident]:
    return incidents_visible_to(user).select_related(
        "reporter",
        "affected_service",
        "assigned_team",
        "assignee",
        "incident_commander",
        "communications_lead",
        "technical_lead",
    )

"""Reads of incidents, scoped to the viewer. Every list and detail, UI and API, starts here."""

from datetime import datetime
from operator import itemgetter

from django.db.models import F, Q, QuerySet

from audit.models import AuditEvent
from communications.models import Communication
from core.roles import Role, user_roles
from incidents.choices import ACTIVE_STATUSES, Category
from incidents.models import Incident
from sla.models import SlaEvent

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
        "reporter", "affected_service", "assigned_team", "assignee", "sla_policy"
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
        "sla_policy",
    )


def sla_breached_q(now: datetime) -> Q:
    """Active incidents past a deadline (the SLA timers of incidents.sla)."""
    unacknowledged = Q(acknowledged_at__isnull=True)
    return Q(status__in=ACTIVE_STATUSES) & (
        (unacknowledged & Q(acknowledge_due_at__lte=now))
        | Q(acknowledged_at__gt=F("acknowledge_due_at"))  # acknowledged late
        | Q(resolve_due_at__lte=now)
    )


def sla_at_risk_q(now: datetime) -> Q:
    """Active incidents past 75 % of a target but not yet breached."""
    unacknowledged = Q(acknowledged_at__isnull=True)
    warned = (unacknowledged & Q(acknowledge_warn_at__lte=now)) | Q(resolve_warn_at__lte=now)
    return Q(status__in=ACTIVE_STATUSES) & warned & ~sla_breached_q(now)


def incident_timeline(incident: Incident) -> list[dict]:
    """Audit events, communications and SLA events of one incident, oldest first, in three
    queries whatever their number."""
    entries = [
        {
            "at": e.timestamp,
            "type": "audit",
            "action": e.domain_action,
            "actor": e.actor_label,
            "changes": e.changes or {},
        }
        for e in AuditEvent.objects.filter(ref_type="incident", ref_id=incident.reference).only(
            "timestamp", "domain_action", "actor_label", "changes"
        )
    ]
    entries += [
        {
            "at": c.created_at,
            "type": "communication",
            "action": c.kind,
            "label": c.get_kind_display().lower(),
            "actor": c.sender.get_username() if c.sender_id else "system",
            "recipients": c.recipients,
            "recipient_detail": c.recipient_detail,
            "message": c.message,
            "reference": c.reference,
        }
        for c in Communication.objects.filter(subject_ref=incident.reference).select_related("sender")
    ]
    entries += [
        {"at": e.occurred_at, "type": "sla", "action": e.kind, "actor": "system", "due_at": e.due_at}
        for e in SlaEvent.objects.filter(subject_ref=incident.reference)
    ]
    return sorted(entries, key=itemgetter("at"))

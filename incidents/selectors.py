"""Reads of incidents, scoped to the viewer. Every list and detail, UI and API, starts here."""

from datetime import datetime
from operator import itemgetter

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet

from audit.models import AuditEvent
from communications.models import Communication, Kind, Recipients
from communications.selectors import with_delivery_summary
from core.roles import Role, user_roles
from incidents.choices import ACTIVE_STATUSES, Category
from incidents.models import Incident
from sla.models import SlaEvent

# Roles that see every incident, security ones included (SPEC.md: Security incidents).
SEE_ALL = frozenset({Role.L3, Role.INCIDENT_MANAGER, Role.AUDITOR, Role.ADMIN})

# SPEC.md, what the reporter sees: title, status, priority, service, SLA times, resolution
# summary and the messages addressed to them; not what the people working the incident
# write for each other (ITSM's work notes versus comments). These fields are theirs only.
WORK_NOTE_FIELDS = frozenset(
    {
        "priority_justification", "assigned_team", "assignee", "escalation_target",
        "escalation_reason", "escalation_count", "escalated_at", "diagnosis", "workaround",
        "has_workaround", "incident_commander", "communications_lead",
        "technical_lead", "breach_notification_due_at", "last_stakeholder_update_at",
    }
)  # fmt: skip
# the changes of the timeline a reporter is shown
REPORTER_CHANGES = frozenset(
    {"status", "title", "category", "priority", "affected_service", "resolution_summary", "closure_notes"}
)
ADDRESSED_TO_REPORTER = frozenset({Recipients.END_USERS, Recipients.REPORTER})


def sees_work_notes(user) -> bool:
    """Staff see everything of the incidents they may see; an end user (who can see only
    what they reported) sees what is meant for a reporter."""
    return bool(user_roles(user) - {Role.END_USER})


def communication_visible_to(user, communication: Communication) -> bool:
    sender, recipients = communication.sender_id, communication.recipients
    return sees_work_notes(user) or _meant_for_reporter(user, sender, recipients)


def _meant_for_reporter(user, sender_id, recipients) -> bool:
    """A reporter sees the messages addressed to them or to end users, and their own."""
    return sender_id == user.pk or bool(ADDRESSED_TO_REPORTER & set(recipients))


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


# the people an incident names: read for a whole page in one query (attach_people) rather
# than joined, since every join added to the page's query multiplies PostgreSQL's planning
# (6 tables: 7.9 ms to plan a query that runs in 0.8 ms; 4 tables: 0.9 ms)
PEOPLE = ("reporter", "assignee", "incident_commander", "communications_lead", "technical_lead")
_PEOPLE_FIELDS = tuple(Incident._meta.get_field(name) for name in PEOPLE)


def incidents_visible_count(user) -> int:
    """How many incidents ``user`` may see (incidents_visible_to(user).count()), read from the
    tallies the database keeps (incidents.tally) where the rule allows: a count that does
    not grow with the table (63 ms for 100,000 incidents counted)."""
    from incidents.tally import tally

    roles = user_roles(user)
    if not roles:
        return 0
    if roles & SEE_ALL:
        return sum(tally().values())
    if roles - {Role.END_USER}:
        own_secret = Incident.objects.filter(category=Category.SECURITY, reporter=user).count()
        return tally()["other"] + own_secret
    return Incident.objects.filter(reporter=user).count()


def incident_rows_queryset(user) -> QuerySet[Incident]:
    """The visible incidents with the small tables a row shows joined (service, team, SLA
    policy); their people come from attach_people."""
    return incidents_visible_to(user).select_related("affected_service", "assigned_team", "sla_policy")


def attach_people(incidents):
    """Give ``incidents`` (a page, or one) their PEOPLE in one query; returns them."""
    rows = [incidents] if isinstance(incidents, Incident) else list(incidents)
    missing = [
        (row, field, pk)
        for row in rows
        for field in _PEOPLE_FIELDS
        if (pk := getattr(row, field.attname)) is not None
        and getattr(field.get_cached_value(row, None), "pk", None) != pk
    ]  # people an operation already holds (the reporter it has just set) are not read again
    users = get_user_model().objects.in_bulk({pk for _, _, pk in missing}) if missing else {}
    for row, field, pk in missing:
        if pk in users:
            field.set_cached_value(row, users[pk])
    return incidents


def incident_visible_to(user, incident: Incident) -> bool:
    """Whether incidents_visible_to(user) holds ``incident``, decided in memory (for an
    incident an operation has just saved; tests/incidents/test_api_rendering.py holds the
    two rules equal)."""
    roles = user_roles(user)
    if not roles:
        return False
    if roles & SEE_ALL:
        return True
    if roles - {Role.END_USER}:
        return incident.category != Category.SECURITY or incident.reporter_id == user.pk
    return incident.reporter_id == user.pk


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


# what a workspace row shows and its SLA badge reads (incidents.display.workspace_rows)
WORKSPACE_ROW_FIELDS = (
    "reference", "title", "category", "priority", "status", "created_at", "acknowledged_at",
    "resolved_at", "acknowledge_due_at", "acknowledge_warn_at", "resolve_due_at", "resolve_warn_at",
    "next_update_due_at", "pir_due_at", "breach_notification_due_at", "grace_close_at", "sla_policy",
    "affected_service__name", "assigned_team__code", "assignee__username",
)  # fmt: skip


def incident_workspace_queryset(user) -> QuerySet[Incident]:
    """The visible incidents with what a workspace row shows, in a constant number of
    queries: only its columns (a row of every column decodes three times as many dates),
    and only the service, team and assignee joined; each further join costs PostgreSQL's
    planner more than it saves (the SLA policy, one row for nearly every incident, comes
    in a second query)."""
    return (
        incidents_visible_to(user)
        .select_related("affected_service", "assigned_team", "assignee")
        .only(*WORKSPACE_ROW_FIELDS)
        .prefetch_related("sla_policy")
    )


def incident_queues(user, now: datetime) -> dict[str, QuerySet[Incident]]:
    """The workspace's queues for ``user``. Each has a partial index of active incidents
    that returns its rows newest first and answers its capped count alone (incidents.models:
    ``inc_active_assignee_new``, ``inc_active_team_new``, ``inc_unassigned_new``,
    ``inc_active_new``; "All I can see" reads the table newest first)."""
    base = incident_workspace_queryset(user)
    active = base.filter(status__in=ACTIVE_STATUSES)
    team_ids = list(user.teams.values_list("id", flat=True))  # one team: an index range
    return {
        "mine": active.filter(assignee=user),
        "team": active.filter(assigned_team__in=team_ids),
        "unassigned": active.filter(assigned_team__isnull=True),
        "breaching": base.filter(sla_breaching_q(now)),
        "all": base,
    }


# who is named on an incident; its page shows them all
def incident_for_page(user, reference: str) -> Incident | None:
    """The visible incident ``reference`` with everything its page shows, in two queries:
    the incident with its service, team and SLA policy, then the people named on it (eight
    joins in one query cost PostgreSQL's planner more, about 8 ms, than the second query)."""
    incident = next(iter(incident_rows_queryset(user).filter(reference=reference).order_by()[:1]), None)
    return attach_people(incident) if incident is not None else None


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


def sla_breaching_q(now: datetime) -> Q:
    """Breached or at risk (the workspace's "Breaching soon"): ``sla_breached_q(now) |
    sla_at_risk_q(now)``, written without the negation that makes the database test every
    deadline twice per row."""
    unacknowledged = Q(acknowledged_at__isnull=True)
    return Q(status__in=ACTIVE_STATUSES) & (
        (unacknowledged & (Q(acknowledge_warn_at__lte=now) | Q(acknowledge_due_at__lte=now)))
        | Q(acknowledged_at__gt=F("acknowledge_due_at"))
        | Q(resolve_warn_at__lte=now)
        | Q(resolve_due_at__lte=now)
    )


def incident_timeline(incident: Incident, viewer=None) -> list[dict]:
    """Audit events, communications and SLA events of one incident, oldest first, in three
    queries whatever their number. A ``viewer`` who does not see work notes (the reporter)
    gets the messages meant for them and the changes of REPORTER_CHANGES only."""
    entries = _timeline_entries(incident)
    if viewer is None or sees_work_notes(viewer):
        return entries
    shown = []
    for entry in entries:
        if entry["type"] == "communication":
            if _meant_for_reporter(viewer, entry["sender_id"], entry["recipients"]):
                shown.append({**entry, "delivery_error": ""})  # a failure's reason is for staff
        elif entry["type"] == "audit":
            changes = {
                k: v
                for k, v in entry["changes"].items()
                if k in REPORTER_CHANGES or (k == "reason" and entry["action"] == "reopen")
            }
            if changes or entry["action"] in ("identify", "resolve", "close", "reopen"):
                shown.append({**entry, "changes": changes})
    return shown


def _timeline_entries(incident: Incident) -> list[dict]:
    # rows as dicts, not model instances: a timeline is only read (and in each table's order,
    # which the stable sort keeps for entries of the same moment)
    ref = incident.reference
    entries = [
        {
            "at": e["timestamp"],
            "type": "audit",
            "action": e["domain_action"],
            "actor": e["actor_label"],
            "changes": e["changes"] or {},
        }
        for e in AuditEvent.objects.filter(ref_type="incident", ref_id=ref).values(
            "timestamp", "domain_action", "actor_label", "changes"
        )
    ]
    kinds = dict(Kind.choices)
    entries += [
        {
            "at": c["created_at"],
            "type": "communication",
            "action": c["kind"],
            "label": str(kinds.get(c["kind"], c["kind"])).lower(),
            "actor": c["sender__username"] if c["sender_id"] else "system",
            "sender_id": c["sender_id"],
            "recipients": c["recipients"],
            "recipient_detail": c["recipient_detail"],
            "message": c["message"],
            "reference": c["reference"],
            "channel": c["channel"],
            "delivery_status": c["delivery_status"],
            "delivery_attempts": c["delivery_attempts"],
            "delivery_error": c["delivery_error"],
        }
        for c in with_delivery_summary(Communication.objects.filter(subject_ref=ref)).values(
            "created_at",
            "kind",
            "sender_id",
            "sender__username",
            "recipients",
            "recipient_detail",
            "message",
            "reference",
            "channel",
            "delivery_status",
            "delivery_attempts",
            "delivery_error",
        )
    ]
    entries += [
        {"at": e["occurred_at"], "type": "sla", "action": e["kind"], "actor": "system", "due_at": e["due_at"]}
        for e in SlaEvent.objects.filter(subject_ref=ref).values("occurred_at", "kind", "due_at")
    ]
    return sorted(entries, key=itemgetter("at"))

"""SLA deadlines of an incident, stored as columns, and the checks the sweep owes it.

``refresh_deadlines`` recomputes every deadline from facts on the row (logged time, policy
version, priority, pauses, last stakeholder update, resolution) and sets
``sla_next_check_at`` to the earliest check still owed, so the sweep selects exactly the
rows with something due through one index.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from incidents.choices import ACTIVE_STATUSES, HIGH_PRIORITIES, Status
from sla.clock import BusinessHours, add_minutes, minutes_between
from sla.services import clock_for, sla_policy_current, sla_targets

WARNING_FRACTION = 0.75
UNASSIGNED_LIMIT = timedelta(minutes=15)
PIR_WINDOW = timedelta(hours=72)


# Among checks due at the same moment: the unassigned P1/P2 rule escalates straight to the
# incident manager, before the acknowledge breach would take one step.
CHECK_ORDER = (
    "unassigned_escalation",
    "acknowledge_warning",
    "acknowledge_breach",
    "resolve_warning",
    "resolve_breach",
    "update_missed",
    "breach_notification_due",
    "pir_overdue",
    "auto_closed",
)


@dataclass(frozen=True)
class Check:
    kind: str  # an SlaEvent.Kind value
    due_at: datetime


def sla_target(incident):
    if incident.sla_policy_id is None:
        return None
    return sla_targets(incident.sla_policy).get(incident.priority)


def sla_clock(incident) -> BusinessHours | None:
    target = sla_target(incident)
    if target is None:
        return None
    return clock_for(target, incident.affected_service.calendar)


def paused_minutes_since(incident, since: datetime, now: datetime) -> float:
    """Clock minutes from ``since`` to ``now`` on the incident's SLA clock."""
    return minutes_between(since, now, sla_clock(incident))


def refresh_deadlines(incident) -> None:
    """Recompute the deadline columns and ``sla_next_check_at`` in memory (no save)."""
    if incident.sla_policy_id is None:
        incident.sla_policy = sla_policy_current()
    target = sla_target(incident)
    if target is None:
        incident.sla_next_check_at = None
        return
    clock = clock_for(target, incident.affected_service.calendar)
    start = incident.logged_at
    ack, resolve = target.acknowledge_minutes, target.resolve_minutes
    incident.acknowledge_due_at = add_minutes(start, ack, clock)
    incident.acknowledge_warn_at = add_minutes(start, ack * WARNING_FRACTION, clock)

    if incident.status in ACTIVE_STATUSES and incident.status != Status.PENDING_VENDOR:
        paused = incident.sla_paused_minutes
        incident.resolve_due_at = add_minutes(start, resolve + paused, clock)
        incident.resolve_warn_at = add_minutes(start, resolve * WARNING_FRACTION + paused, clock)
    elif incident.status == Status.PENDING_VENDOR:
        incident.resolve_due_at = incident.resolve_warn_at = None  # the clock is stopped
    elif incident.resolve_due_at is None:
        # resolved while paused: measure it against the deadline moved by the whole pause
        paused = incident.sla_paused_minutes
        incident.resolve_due_at = add_minutes(start, resolve + paused, clock)
        incident.resolve_warn_at = add_minutes(start, resolve * WARNING_FRACTION + paused, clock)
    # resolved / closed: otherwise keep the deadline the incident was resolved against

    high = incident.priority in HIGH_PRIORITIES
    if high and target.update_every_minutes and incident.status in ACTIVE_STATUSES:
        every = timedelta(minutes=target.update_every_minutes)
        due = (incident.last_stakeholder_update_at or start) + every
        missed = incident.update_missed_for
        if missed is not None and missed >= due:  # flagged already: chase again next cadence
            due += every * ((missed - due) // every + 1)
        incident.next_update_due_at = due
    else:
        incident.next_update_due_at = None
    # a filed PIR (reviews) ends the chase for it
    pir_owed = high and incident.resolved_at is not None and incident.pir_filed_at is None
    incident.pir_due_at = incident.resolved_at + PIR_WINDOW if pir_owed else None
    incident.grace_close_at = None if high else incident.grace_period_ends_at
    due = [c.due_at for c in pending_checks(incident)]
    incident.sla_next_check_at = min(due) if due else None


def pending_checks(incident) -> list[Check]:
    """Every automatic action still owed to ``incident``, earliest first."""
    checks: list[Check] = []
    active = incident.status in ACTIVE_STATUSES
    if active and incident.acknowledged_at is None and incident.acknowledge_due_at:
        if incident.acknowledge_warned_at is None:
            checks.append(Check("acknowledge_warning", incident.acknowledge_warn_at))
        if incident.acknowledge_breached_at is None:
            checks.append(Check("acknowledge_breach", incident.acknowledge_due_at))
    if active and incident.resolve_due_at is not None:
        if incident.resolve_warned_at is None:
            checks.append(Check("resolve_warning", incident.resolve_warn_at))
        if incident.resolve_breached_at is None:
            checks.append(Check("resolve_breach", incident.resolve_due_at))
    high = incident.priority in HIGH_PRIORITIES
    if (
        high
        and incident.status == Status.OPEN
        and incident.assigned_team_id is None
        and incident.unassigned_escalated_at is None
    ):
        checks.append(Check("unassigned_escalation", incident.logged_at + UNASSIGNED_LIMIT))
    if incident.next_update_due_at is not None and incident.update_missed_for != incident.next_update_due_at:
        checks.append(Check("update_missed", incident.next_update_due_at))
    if incident.pir_due_at is not None and incident.pir_escalated_at is None:
        checks.append(Check("pir_overdue", incident.pir_due_at))
    if (
        incident.breach_notification_due_at is not None
        and incident.breach_notification_escalated_at is None
        and incident.status != Status.CLOSED
    ):
        checks.append(Check("breach_notification_due", incident.breach_notification_due_at))
    if incident.grace_close_at is not None and incident.status == Status.RESOLVED:
        checks.append(Check("auto_closed", incident.grace_close_at))
    return sorted(checks, key=lambda c: (c.due_at, CHECK_ORDER.index(c.kind)))


def sla_state(incident, now: datetime | None = None) -> dict:
    """What the API and the desk show: each timer with due time, remaining seconds and
    at-risk / breached flags."""
    now = now or timezone.now()
    active = incident.status in ACTIVE_STATUSES

    def timer(due, warn, met_at, running: bool) -> dict | None:
        if due is None:
            return None
        end = met_at or now
        breached = end > due
        return {
            "due_at": due,
            "met_at": met_at,
            "remaining_seconds": int((due - now).total_seconds()) if running and not met_at else None,
            "breached": breached,
            "at_risk": bool(running and not met_at and not breached and warn and now >= warn),
        }

    resolve = timer(
        incident.resolve_due_at,
        incident.resolve_warn_at,
        incident.resolved_at if not active else None,
        active,
    )
    return {
        "policy_version": incident.sla_policy.version if incident.sla_policy_id else None,
        "acknowledge": timer(
            incident.acknowledge_due_at,
            incident.acknowledge_warn_at,
            incident.acknowledged_at,
            active,
        ),
        "resolve": resolve or ({"paused": True} if incident.status == Status.PENDING_VENDOR else None),
        "next_update": timer(incident.next_update_due_at, None, None, active),
        "pir_due_at": incident.pir_due_at,
        "breach_notification_due_at": incident.breach_notification_due_at,
        "grace_close_at": incident.grace_close_at,
    }

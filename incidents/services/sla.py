"""The SLA engine's automatic actions on one incident, each run by the system (actor None),
each audited, each recorded once in sla.SlaEvent.

``incident_sla_act`` performs one owed check; the sweep (incidents.sweep) calls it for what
is due. A check already done (its marker set, or its SlaEvent present) does nothing, so
running the sweep twice, or on two workers at once, acts once.
"""

from datetime import datetime, timedelta

from django.db import connection, transaction

from communications.models import Kind, Recipients
from communications.services import communication_record
from core.models import drop_stale_relations
from incidents.choices import next_escalation_step
from incidents.models import Incident
from incidents.services.sop import incident_close, incident_escalate
from incidents.services.sop.base import _save
from incidents.sla import Check, pending_checks, refresh_deadlines, sla_target
from sla.models import SlaEvent

__all__ = ["incident_sla_act"]

MARKERS = {
    "acknowledge_warning": "acknowledge_warned_at",
    "acknowledge_breach": "acknowledge_breached_at",
    "resolve_warning": "resolve_warned_at",
    "resolve_breach": "resolve_breached_at",
    "unassigned_escalation": "unassigned_escalated_at",
    "pir_overdue": "pir_escalated_at",
    "breach_notification_due": "breach_notification_escalated_at",
}
ESCALATABLE = ("open", "in_progress", "escalated")


def _lock(reference: str) -> Incident | None:
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("assigned_team", "assignee", "affected_service__calendar", "sla_policy")
        .filter(reference=reference)
        .first()
    )
    return drop_stale_relations(incident) if incident is not None else None


def _record_once(reference: str, kind: str, due_at: datetime, now: datetime) -> bool:
    """Insert the SlaEvent unless it exists (the unique sla_event_once): one statement, no
    savepoint (INSERT … ON CONFLICT DO NOTHING RETURNING, PostgreSQL and SQLite 3.35+)."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SlaEvent._meta.db_table} (subject_ref, kind, due_at, occurred_at, detail) "
            "VALUES (%s, %s, %s, %s, '') ON CONFLICT (subject_ref, kind, due_at) DO NOTHING RETURNING id",
            [reference, kind, adapt(due_at), adapt(now)],
        )
        return cursor.fetchone() is not None


def _mark(incident: Incident, check: Check, now: datetime) -> bool:
    """Record the check as done: its SlaEvent (unique) and its marker. False if already done."""
    if not _record_once(incident.reference, check.kind, check.due_at, now):
        return False
    if check.kind == "update_missed":
        # one flag covers every cadence missed up to now: after a sweep outage (or a long
        # wait) the update is chased once, not once per missed interval in the same sweep
        every = timedelta(minutes=sla_target(incident).update_every_minutes)
        incident.update_missed_for = check.due_at + every * max((now - check.due_at) // every, 0)
    elif check.kind in MARKERS:
        setattr(incident, MARKERS[check.kind], now)
    return True


def _notify(incident: Incident, *, to: str, message: str, kind: str = Kind.UPDATE):
    return communication_record(
        subject_ref=incident.reference,
        sender=None,
        recipients=[Recipients.TEAM if to and not to.startswith("@") else Recipients.IT_STAFF],
        recipient_detail=to.lstrip("@"),
        kind=kind,
        message=message,
    )


def _owner(incident: Incident) -> str:
    if incident.assignee_id:
        return "@" + incident.assignee.get_username()
    return incident.assigned_team.code if incident.assigned_team_id else "service_desk"


def _target_word(kind: str) -> str:
    return "acknowledge" if kind.startswith("acknowledge") else "resolve"


def incident_sla_act(
    *, reference: str, check: Check, now: datetime, locked: Incident | None = None
) -> str | None:
    """Perform ``check`` on the incident if it is still owed; return what was done.

    ``locked``: the incident as just read under ``SELECT … FOR UPDATE`` in the caller's
    transaction (the sweep's), with the relations of ``_lock``; else it is locked here.
    """
    with transaction.atomic(savepoint=False):
        incident = locked if locked is not None else _lock(reference)
        if incident is None or check not in pending_checks(incident):
            return None
        if not _mark(incident, check, now):
            refresh_deadlines(incident)
            incident.save()
            return None
        kind, due = check.kind, f"{check.due_at:%Y-%m-%d %H:%M} UTC"

        if kind.endswith("_warning"):
            word = _target_word(kind)
            note = _notify(
                incident,
                to=_owner(incident),
                message=f"{incident.reference} ({incident.priority}) is at 75% of its {word} target; "
                f"it is due {due}.",
            )
            _save(incident, action="notify", actor=None, changes={kind: [None, due]},
                  extra={"sla_event": kind, "notice": note.reference})  # fmt: skip
            return kind

        if kind in ("acknowledge_breach", "resolve_breach", "unassigned_escalation"):
            current = incident.assigned_team.code if incident.assigned_team_id else None
            target = (
                "incident_manager"
                if kind == "unassigned_escalation"
                else next_escalation_step(current, security=incident.is_security)
            )
            incident.save()  # the marker, before the escalation service reloads the row
            reason = (
                f"{incident.priority} still unassigned 15 minutes after logging."
                if kind == "unassigned_escalation"
                else f"SLA breach: the {_target_word(kind)} target ({due}) was missed."
            )
            if target and target != current and incident.status in ESCALATABLE:
                incident_escalate(
                    incident=reference, actor=None, target=target, reason=reason, sla_event=kind, at=now
                )
                return kind
            note = _notify(incident, to="incident_manager", message=f"{incident.reference}: {reason}")
            _save(incident, action="notify", actor=None, changes={kind: [None, due]},
                  extra={"sla_event": kind, "notice": note.reference})  # fmt: skip
            return kind

        if kind == "update_missed":
            lead = incident.communications_lead
            note = _notify(
                incident,
                to="@" + lead.get_username() if lead else "incident_manager",
                message=f"{incident.reference} ({incident.priority}): the stakeholder update due {due} "
                "was not sent.",
            )
            _save(incident, action="notify", actor=None, changes={"update_missed": [None, due]},
                  extra={"sla_event": kind, "notice": note.reference})  # fmt: skip
            return kind

        if kind in ("pir_overdue", "breach_notification_due"):
            what = "post-incident review" if kind == "pir_overdue" else "personal-data breach notification"
            note = _notify(
                incident,
                to="incident_manager",
                message=f"{incident.reference}: the {what} was due {due}.",
            )
            _save(incident, action="escalate", actor=None, changes={kind: [None, due]},
                  extra={"sla_event": kind, "notice": note.reference})  # fmt: skip
            return kind

        if kind == "auto_closed":
            incident.save()
            incident_close(
                incident=reference,
                actor=None,
                closure_notes="Closed automatically: the reporter neither confirmed nor reopened it "
                "within the grace period.",
                at=now,
            )
            return kind
    raise ValueError(f"unknown SLA check {check.kind}")

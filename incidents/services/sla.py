"""The SLA engine's automatic actions on one incident, each run by the system (actor None),
each audited, each recorded once in sla.SlaEvent.

``incident_sla_act`` performs one owed check; the sweep (incidents.sweep) calls
``incident_sla_act_locked`` for what is due, a batch of incidents at a time. A check
already done (its marker set, or its SlaEvent present) does nothing, so running the sweep
twice, or on two workers at once, acts once.

Each action is done first and recorded after (its marker, its SlaEvent): a refusal
(DomainError) comes from the escalation or closing service, inside its own savepoint, or
from the message's validation before it is written, so a refused action leaves nothing
behind without a savepoint of the caller's, and the next sweep tries it again.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import transaction

from communications.models import Kind, Recipients
from communications.services import communication_record
from core.deferred import DeferredRows
from core.models import drop_stale_relations
from incidents.choices import next_escalation_step
from incidents.models import Incident
from incidents.services.sop import incident_close, incident_escalate
from incidents.services.sop.base import _save
from incidents.sla import Check, pending_checks, refresh_deadlines, sla_target
from sla.models import SlaEvent

__all__ = ["incident_sla_act", "incident_sla_act_locked", "sla_events_deferred"]

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
# what the SLA engine reads of an incident besides its row
SLA_RELATED = ("assigned_team", "assignee", "affected_service__calendar", "sla_policy")


def _lock(reference: str) -> Incident | None:
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related(*SLA_RELATED)
        .filter(reference=reference)
        .first()
    )
    return drop_stale_relations(incident) if incident is not None else None


class SlaEventsNow:
    """The SlaEvents of one action on its own: looked up and written at once."""

    def done(self, reference: str, check: Check) -> bool:
        return SlaEvent.objects.filter(subject_ref=reference, kind=check.kind, due_at=check.due_at).exists()

    def record(self, reference: str, check: Check, now: datetime) -> None:
        SlaEvent.objects.create(subject_ref=reference, kind=check.kind, due_at=check.due_at, occurred_at=now)


class SlaEventsDeferred(SlaEventsNow):
    """The SlaEvents of a sweep batch: those of its incidents read in one query, the new
    ones written in one INSERT when the batch ends, but those of rolled back savepoints.
    The incidents are locked by the batch, so nobody else records one meanwhile; should
    one appear anyway, the unique sla_event_once fails the batch rather than act twice."""

    def __init__(self, references: Iterable[str]):
        rows = SlaEvent.objects.filter(subject_ref__in=list(references))
        self.existing = set(rows.values_list("subject_ref", "kind", "due_at"))
        self.new = DeferredRows()

    def done(self, reference: str, check: Check) -> bool:
        # one recorded earlier in this batch has its marker set: it is no longer pending
        return (reference, check.kind, check.due_at) in self.existing

    def record(self, reference: str, check: Check, now: datetime) -> None:
        self.new.add([SlaEvent(subject_ref=reference, kind=check.kind, due_at=check.due_at, occurred_at=now)])

    def write(self) -> None:
        SlaEvent.objects.bulk_create(self.new.surviving())


@contextmanager
def sla_events_deferred(references: Iterable[str]):
    """SlaEvents for a batch of the incidents ``references`` (see SlaEventsDeferred); they
    are written when the block ends without an exception."""
    events = SlaEventsDeferred(references)
    yield events
    events.write()


_NOW = SlaEventsNow()


def _set_marker(incident: Incident, check: Check, now: datetime) -> None:
    """Mark the check as done on the row (what pending_checks reads)."""
    if check.kind == "update_missed":
        # one flag covers every cadence missed up to now: after a sweep outage (or a long
        # wait) the update is chased once, not once per missed interval in the same sweep
        every = timedelta(minutes=sla_target(incident).update_every_minutes)
        incident.update_missed_for = check.due_at + every * max((now - check.due_at) // every, 0)
    elif check.kind in MARKERS:
        setattr(incident, MARKERS[check.kind], now)


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
    transaction, with the relations of ``_lock``; else it is locked here.
    """
    with transaction.atomic(savepoint=False):
        incident = locked if locked is not None else _lock(reference)
        if incident is None:
            return None
        return incident_sla_act_locked(incident=incident, check=check, now=now)[0]


def incident_sla_act_locked(
    *, incident: Incident, check: Check, now: datetime, events: SlaEventsNow = _NOW
) -> tuple[str | None, Incident]:
    """Perform ``check`` on ``incident``, locked by the caller's transaction with
    SLA_RELATED, if it is still owed. Return what was done and the incident as it now
    stands (saved: the next check may be read from it without reading the row again).
    ``events``: where its SlaEvent is looked up and recorded (a sweep batch's, or at once).
    """
    if check not in pending_checks(incident):
        return None, incident
    reference, kind = incident.reference, check.kind
    if events.done(reference, check):
        refresh_deadlines(incident)
        incident.save()
        return None, incident
    due = f"{check.due_at:%Y-%m-%d %H:%M} UTC"
    action = "notify"

    if kind.endswith("_warning"):
        to = _owner(incident)
        word = _target_word(kind)
        message = f"{reference} ({incident.priority}) is at 75% of its {word} target; it is due {due}."
    elif kind in ("acknowledge_breach", "resolve_breach", "unassigned_escalation"):
        current = incident.assigned_team.code if incident.assigned_team_id else None
        target = (
            "incident_manager"
            if kind == "unassigned_escalation"
            else next_escalation_step(current, security=incident.is_security)
        )
        reason = (
            f"{incident.priority} still unassigned 15 minutes after logging."
            if kind == "unassigned_escalation"
            else f"SLA breach: the {_target_word(kind)} target ({due}) was missed."
        )
        if target and target != current and incident.status in ESCALATABLE:
            _set_marker(incident, check, now)  # saved with the escalation, which recomputes the next check
            incident = incident_escalate(
                incident=incident, actor=None, target=target, reason=reason, sla_event=kind, at=now
            )
            events.record(reference, check, now)
            return kind, incident
        to, message = "incident_manager", f"{reference}: {reason}"
    elif kind == "update_missed":
        lead = incident.communications_lead
        to = "@" + lead.get_username() if lead else "incident_manager"
        message = f"{reference} ({incident.priority}): the stakeholder update due {due} was not sent."
    elif kind == "pir_overdue":
        # the incident is resolved or closed: its incident managers are reminded, nothing escalates
        to, message = "incident_manager", f"{reference}: the post-incident review was due {due}."
    elif kind == "breach_notification_due":
        message = f"{reference}: the personal-data breach notification was due {due}."
        to, action = "incident_manager", "escalate"
    elif kind == "auto_closed":
        incident = incident_close(
            incident=incident,
            actor=None,
            closure_notes="Closed automatically: the reporter neither confirmed nor reopened it "
            "within the grace period.",
            at=now,
        )
        events.record(reference, check, now)
        return kind, incident
    else:
        raise ValueError(f"unknown SLA check {kind}")

    note = _notify(incident, to=to, message=message)
    _set_marker(incident, check, now)
    _save(incident, action=action, actor=None, changes={kind: [None, due]},
          extra={"sla_event": kind, "notice": note.reference})  # fmt: skip
    events.record(reference, check, now)
    return kind, incident

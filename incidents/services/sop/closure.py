"""SOPs 11 and 13: resolution, closure, the reporter's confirmation, reopening."""

from datetime import datetime

from django.utils import timezone

from core.errors import DomainError, ErrorCode, validation_error
from incidents.choices import (
    HIGH_PRIORITIES,
)
from incidents.models import Incident
from incidents.services.sop.base import (
    S,
    _operation,
    _operation_or_system,
    _required,
    _save,
    _system_time,
    _text,
)
from incidents.sla import paused_minutes_since


# ---- SOP 11: resolution -----------------------------------------------------------------
def incident_resolve(
    *,
    incident: Incident | str,
    actor,
    resolution_summary: str,
    service_restored: bool,
    expected_version: int | None = None,
) -> Incident:
    """SOP 11: resolve with a summary, only once the service is confirmed restored."""
    summary = _required(resolution_summary, "resolution_summary", "A resolution needs a resolution_summary.")
    if service_restored is not True:
        raise validation_error(
            "An incident is resolved only once service is restored: confirm service_restored.",
            service_restored="Must be true.",
        )
    with _operation(incident, actor, "resolve", expected_version) as inc:
        before, now = inc.status, timezone.now()
        paused = paused_minutes_since(inc, inc.paused_since, now) if inc.paused_since else 0
        inc.resolve(summary=summary, at=now, paused_minutes=paused)
        return _save(
            inc,
            action="resolve",
            actor=actor,
            changes={"status": [before, inc.status], "resolution_summary": [None, summary]},
        )


# ---- SOP 13: closure --------------------------------------------------------------------
def incident_close(
    *,
    incident: Incident | str,
    actor,
    closure_notes: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Incident:
    """SOP 13: close a resolved incident with closure notes; P1/P2 only by an incident
    manager or service desk manager who is not its reporter. ``actor`` None is the system
    (the grace-period close), acting as of ``at``."""
    notes = _required(closure_notes, "closure_notes", "Closing needs closure_notes.")
    with _operation_or_system(incident, actor, "close", expected_version) as inc:
        now = _system_time(actor, at)
        grace_ends = inc.grace_period_ends_at
        # a manager closing a P3/P4 before its reporter could confirm or reopen it
        # (policy.GRACE_OVERRIDE) is on the record as such
        override = actor is not None and not inc.is_high_priority and grace_ends and now <= grace_ends
        inc.close(notes=notes, at=now)
        return _save(
            inc,
            action="close",
            actor=actor,
            changes={"status": [S.RESOLVED, S.CLOSED], "closure_notes": [None, notes]},
            extra={"grace_period_override": grace_ends.isoformat()} if override else None,
        )


def incident_confirm(
    *, incident: Incident | str, actor, note: str = "", expected_version: int | None = None
) -> Incident:
    """SOP 13 (reporter): the reporter confirms restoration of a P3/P4, which closes it.
    High-priority incidents are closed by a manager instead."""
    note = _text(note, "note")
    with _operation(incident, actor, "confirm", expected_version) as inc:
        if inc.priority in HIGH_PRIORITIES:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{inc.reference} is {inc.priority}: a high-priority incident is closed by an incident "
                "manager or service desk manager, not by the reporter's confirmation.",
            )
        notes = "Restoration confirmed by the reporter." + (f" {note}" if note else "")
        inc.close(notes=notes, at=timezone.now())
        return _save(
            inc,
            action="close",
            actor=actor,
            changes={"status": [S.RESOLVED, S.CLOSED], "closure_notes": [None, notes]},
            extra={"confirmed_by_reporter": True},
        )


def incident_reopen(
    *, incident: Incident | str, actor, reason: str, expected_version: int | None = None
) -> Incident:
    """Reopen a resolved incident within the grace period (reporter or service desk)."""
    reason = _required(reason, "reason", "Reopening needs a reason.")
    with _operation(incident, actor, "reopen", expected_version) as inc:
        grace_ends = inc.grace_period_ends_at
        if timezone.now() > grace_ends:
            raise DomainError(
                ErrorCode.PRECONDITION_FAILED,
                f"The grace period of {inc.reference} ended at {grace_ends:%Y-%m-%d %H:%M} UTC; "
                "report a new incident instead.",
            )
        now = timezone.now()
        inc.reopen(at=now, paused_minutes=paused_minutes_since(inc, inc.resolved_at, now))
        return _save(
            inc,
            action="reopen",
            actor=actor,
            changes={"status": [S.RESOLVED, S.IN_PROGRESS], "reason": [None, reason]},
        )

"""SOPs 7 to 9: diagnosis and workaround, escalation, vendor engagement."""

from datetime import datetime

from django.utils import timezone

from catalog.models import Vendor
from communications.models import Kind, Recipients
from communications.services import communication_record
from core.errors import DomainError, ErrorCode, validation_error
from incidents.choices import (
    ContactMethod,
    EscalationTarget,
)
from incidents.models import Incident, VendorEngagement
from incidents.services.sop.base import (
    SECURITY_TEAMS,
    S,
    _appended,
    _choice,
    _operation,
    _operation_or_system,
    _required,
    _save,
    _system_time,
    _team,
    _text,
)
from incidents.sla import paused_minutes_since


# ---- SOP 7: diagnosis and workaround ----------------------------------------------------
def incident_diagnose(
    *,
    incident: Incident | str,
    actor,
    steps: str,
    workaround: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """SOP 7: record diagnostic steps and, optionally, a workaround (marks one present)."""
    steps = _required(steps, "steps", "Describe the diagnostic steps taken.")
    workaround = _text(workaround, "workaround")
    with _operation(incident, actor, "diagnose", expected_version) as inc:
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        inc.diagnosis = _appended(inc, "diagnosis", steps, stamp)
        changes = {"diagnosis": [None, steps]}
        if workaround:
            changes["workaround"] = [inc.workaround or None, workaround]
            if not inc.has_workaround:
                changes["has_workaround"] = [False, True]
            inc.workaround, inc.has_workaround = workaround, True
        return _save(inc, action="update", actor=actor, changes=changes)


# ---- SOP 8: escalation ------------------------------------------------------------------
def incident_escalate(
    *,
    incident: Incident | str,
    actor,
    target: str,
    reason: str,
    expected_version: int | None = None,
    sla_event: str | None = None,
    at: datetime | None = None,
) -> Incident:
    """SOP 8: escalate to a target team with a reason; the incident moves to that team,
    unassigned, status escalated, and the team is notified (a recorded communication).
    ``actor`` None is the system (automatic escalation by the SLA engine), which acts as of
    ``at`` (the sweep's now); people act now."""
    _choice(target, EscalationTarget, "target")
    reason = _required(reason, "reason", "An escalation needs a reason.")
    with _operation_or_system(incident, actor, "escalate", expected_version) as inc:
        current = inc.assigned_team.code if inc.assigned_team_id else None
        if inc.status == S.ESCALATED and current == target:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"{inc.reference} is already escalated to {target}; escalate to another target or assign it.",
            )
        if inc.is_security and target not in SECURITY_TEAMS:
            raise DomainError(
                ErrorCode.PRECONDITION_FAILED,
                f"{inc.reference} is a security incident, which only L3 and incident managers may "
                f"see; escalate it to L3 or incident_manager, not {target}.",
            )
        team = _team(target, "target")
        before_status = inc.status
        before_assignee = inc.assignee.get_username() if inc.assignee_id else None
        inc.escalate(target=target, team=team, reason=reason, at=_system_time(actor, at))
        notice = communication_record(
            subject_ref=inc.reference,
            sender=actor,
            recipients=[Recipients.TEAM],
            recipient_detail=target,
            kind=Kind.ESCALATION_NOTICE,
            message=f"{inc.reference} ({inc.priority}, {inc.title}) is escalated to {target}: {reason}",
        )
        return _save(
            inc,
            action="escalate",
            actor=actor,
            changes={
                "status": [before_status, inc.status],
                "team": [current, target],
                "reason": [None, reason],
                **({"assignee": [before_assignee, None]} if before_assignee else {}),
            },
            extra={"notice": notice.reference, **({"sla_event": sla_event} if sla_event else {})},
        )


# ---- SOP 9: vendor engagement -----------------------------------------------------------
def incident_engage_vendor(
    *,
    incident: Incident | str,
    actor,
    vendor: str,
    contact_method: str,
    vendor_reference: str = "",
    expected_version: int | None = None,
) -> tuple[Incident, VendorEngagement]:
    """SOP 9: engage a vendor; the incident waits in pending_vendor and its resolution
    clock pauses."""
    _choice(contact_method, ContactMethod, "contact_method")
    vendor_reference = _text(vendor_reference, "vendor_reference")
    with _operation(incident, actor, "engage_vendor", expected_version) as inc:
        vendor_obj = Vendor.objects.filter(reference=vendor).first()
        if vendor_obj is None or not vendor_obj.is_active:
            raise validation_error(f"No active vendor {vendor}.", vendor=f"No active vendor {vendor}.")
        now = timezone.now()
        before = inc.status
        inc.engage_vendor(at=now)
        engagement = VendorEngagement.objects.create(
            incident=inc,
            vendor=vendor_obj,
            contact_method=contact_method,
            vendor_reference=vendor_reference,
            engaged_by=actor,
            engaged_at=now,
        )
        _save(
            inc,
            action="vendor_engagement",
            actor=actor,
            changes={
                "status": [before, inc.status],
                "vendor": [None, vendor_obj.reference],
                "contact_method": [None, contact_method],
            },
            extra={"engagement": engagement.reference},
        )
    return inc, engagement


def incident_vendor_responded(
    *, incident: Incident | str, actor, note: str = "", expected_version: int | None = None
) -> Incident:
    """SOP 9 (return): the vendor answered; back to in_progress, the clock resumes."""
    note = _text(note, "note")
    with _operation(incident, actor, "vendor_responded", expected_version) as inc:
        engagement = (
            VendorEngagement.objects.select_for_update()
            .filter(incident=inc, responded_at__isnull=True)
            .order_by("-engaged_at")
            .first()
        )
        now = timezone.now()
        inc.vendor_responded(at=now, paused_minutes=paused_minutes_since(inc, inc.paused_since, now))
        changes = {"status": [S.PENDING_VENDOR, inc.status]}
        extra = None
        if engagement is not None:
            engagement.responded_at, engagement.response_note = now, note
            engagement.save(update_fields=["responded_at", "response_note", "updated_at"])
            extra = {"engagement": engagement.reference}
        if note:
            changes["vendor_note"] = [None, note]
        return _save(inc, action="vendor_engagement", actor=actor, changes=changes, extra=extra)

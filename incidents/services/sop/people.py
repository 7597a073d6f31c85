"""SOP 12 and the people around an incident: communications, comments and the
major-incident roles.
"""

from communications.models import Kind, Recipients
from communications.services import communication_record
from core.errors import DomainError, ErrorCode, validation_error
from core.roles import Role, user_roles
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from incidents.services.sop.base import (
    PUBLIC_RECIPIENTS,
    _active_user,
    _operation,
    _required,
    _save,
)


# ---- SOP 12: communication --------------------------------------------------------------
def incident_communicate(
    *,
    incident: Incident | str,
    actor,
    recipients: list[str],
    message: str,
    channel: str = "ims",
    expected_version: int | None = None,
):
    """SOP 12: record a status/ETA/resolution message to end users, stakeholders,
    executives or IT staff (delivered after commit by the communications app)."""
    bad = sorted(set(recipients or []) - {str(r) for r in PUBLIC_RECIPIENTS})
    if bad:
        raise validation_error(
            f"Unknown recipient group(s): {', '.join(bad)}. Use {', '.join(PUBLIC_RECIPIENTS)}.",
            recipients=f"Unknown: {', '.join(bad)}",
        )
    message = _required(message, "message", "A message is required.")
    with _operation(incident, actor, "communicate", expected_version) as inc:
        communication = communication_record(
            subject_ref=inc.reference, sender=actor, recipients=recipients, message=message, channel=channel
        )
        changes = {"communication": [None, communication.reference]}
        if set(recipients) & {Recipients.STAKEHOLDERS, Recipients.EXECUTIVES}:
            inc.last_stakeholder_update_at = communication.created_at
        _save(
            inc,
            action="notify",
            actor=actor,
            changes=changes,
            extra={"recipients": communication.recipients, "channel": channel},
        )
    return inc, communication


def incident_comment(*, incident: Incident | str, actor, message: str, expected_version: int | None = None):
    """A comment on the incident's thread (SPEC.md: end users comment): the reporter's goes
    to the people working it, staff's to the reporter (shown under "My incidents")."""
    message = _required(message, "message", "A comment needs a message.")
    with _operation(incident, actor, "comment", expected_version) as inc:
        by_reporter = inc.reporter_id == actor.pk
        comment = communication_record(
            subject_ref=inc.reference,
            sender=actor,
            recipients=[Recipients.IT_STAFF if by_reporter else Recipients.REPORTER],
            recipient_detail=(
                (inc.assigned_team.code if inc.assigned_team_id else "service_desk")
                if by_reporter
                else inc.reporter.get_username()
            ),
            kind=Kind.COMMENT,
            message=message,
        )
        _save(inc, action="notify", actor=actor, changes={"comment": [None, comment.reference]})
    return inc, comment


# ---- major-incident roles ---------------------------------------------------------------
def incident_set_major_roles(
    *,
    incident: Incident | str,
    actor,
    incident_commander: str | None = None,
    communications_lead: str | None = None,
    technical_lead: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Name the incident commander, communications lead and technical lead of a P1."""
    wanted = {
        "incident_commander": incident_commander,
        "communications_lead": communications_lead,
        "technical_lead": technical_lead,
    }
    if all(v is None for v in wanted.values()):
        raise validation_error(
            "Name at least one of incident_commander, communications_lead, technical_lead.",
            non_field_errors="Nothing to set.",
        )
    with _operation(incident, actor, "set_major_roles", expected_version) as inc:
        if not inc.is_major:
            raise DomainError(
                ErrorCode.PRECONDITION_FAILED,
                f"{inc.reference} is {inc.priority}; major-incident roles belong to P1 incidents.",
            )
        changes = {}
        for field, username in wanted.items():
            if username is None:
                continue
            user = _major_role_holder(inc, username, field)
            old = getattr(inc, field)
            if old != user:
                changes[field] = [old.get_username() if old else None, username]
                setattr(inc, field, user)
        if not changes:
            raise validation_error(f"{inc.reference} already has these roles.", non_field_errors="Unchanged.")
        return _save(inc, action="update", actor=actor, changes=changes)


MAJOR_ROLE_LABELS = {
    "incident_commander": "incident commander",
    "communications_lead": "communications lead",
    "technical_lead": "technical lead",
}


def _major_role_holder(incident: Incident, username: str, field: str):
    """Who may hold a major-incident role: someone who works incidents (not an end user or
    an auditor, who changes nothing) and may see this one; the commander is an incident
    manager (SPEC.md's role table)."""
    user = _active_user(username, field)
    label = MAJOR_ROLE_LABELS[field]
    roles = user_roles(user)
    if field == "incident_commander" and Role.INCIDENT_MANAGER not in roles:
        raise validation_error(
            f"The incident commander of {incident.reference} must be an incident manager; {username} is not.",
            **{field: "Not an incident manager."},
        )
    if not roles - {Role.END_USER, Role.AUDITOR}:
        raise validation_error(
            f"{username} does not work incidents, so cannot be the {label} of {incident.reference}.",
            **{field: "Not a member of staff who works incidents."},
        )
    if not incidents_visible_to(user).filter(pk=incident.pk).exists():
        raise validation_error(
            f"{username} may not see {incident.reference} (a security incident), so cannot be its {label}.",
            **{field: f"May not see {incident.reference}."},
        )
    return user

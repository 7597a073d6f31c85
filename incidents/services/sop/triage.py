"""SOPs 3 to 6: logging, categorization, prioritization, assignment; and edits (PATCH)."""

from django.utils import timezone

from communications.models import Communication, Kind, Recipients
from communications.services import communication_record
from core.errors import DomainError, ErrorCode, validation_error
from core.roles import user_roles
from incidents.choices import (
    AssignmentTeam,
    Category,
    Level,
    Priority,
    priority_for,
)
from incidents.models import Incident
from incidents.services.sop.base import (
    SECURITY_TEAMS,
    _active_service,
    _active_user,
    _appended,
    _choice,
    _operation,
    _required,
    _save,
    _team,
    _text,
)


# ---- SOP 3: logging ---------------------------------------------------------------------
def incident_log(
    *,
    incident: Incident | str,
    actor,
    description: str | None = None,
    affected_service: str | None = None,
    diagnosis: str | None = None,
    workaround: str | None = None,
    is_personal_data_breach: bool | None = None,
    expected_version: int | None = None,
) -> Incident:
    """SOP 3 (logging): append description and initial diagnosis, set the affected service
    or a workaround note, flag a personal-data breach (which starts its notification clock)."""
    if all(
        v is None for v in (description, affected_service, diagnosis, workaround, is_personal_data_breach)
    ):
        raise validation_error(
            "Give at least one of description, affected_service, diagnosis or workaround.",
            non_field_errors="Nothing to log.",
        )
    description, diagnosis = _text(description, "description"), _text(diagnosis, "diagnosis")
    workaround = _text(workaround, "workaround")
    with _operation(incident, actor, "log", expected_version) as inc:
        changes: dict = {}
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        if description:
            inc.description = _appended(inc, "description", description, stamp)
            changes["description"] = [None, description]
        if diagnosis:
            inc.diagnosis = _appended(inc, "diagnosis", diagnosis, stamp)
            changes["diagnosis"] = [None, diagnosis]
        if workaround:
            changes["workaround"] = [inc.workaround or None, workaround]
            inc.workaround, inc.has_workaround = workaround, True
        if affected_service and affected_service != inc.affected_service.reference:
            service = _active_service(affected_service)
            changes["affected_service"] = [inc.affected_service.reference, service.reference]
            inc.affected_service = service
        if is_personal_data_breach is not None and is_personal_data_breach != inc.is_personal_data_breach:
            inc.flag_personal_data_breach(is_personal_data_breach)
            changes["is_personal_data_breach"] = [not is_personal_data_breach, is_personal_data_breach]
        if not changes:
            raise validation_error(
                f"Nothing new to log on {inc.reference}.", non_field_errors="Nothing changed."
            )
        return _save(inc, action="create", actor=actor, changes=changes)


# ---- SOP 4: categorization --------------------------------------------------------------
def incident_categorize(
    *,
    incident: Incident | str,
    actor,
    category: str,
    subcategory: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """SOP 4: set category (and subcategory); a security category restricts visibility."""
    _choice(category, Category, "category")
    with _operation(incident, actor, "categorize", expected_version) as inc:
        subcategory = inc.subcategory if subcategory is None else _text(subcategory, "subcategory")
        changes = {}
        if category != inc.category:
            changes["category"] = [inc.category, category]
        if subcategory != inc.subcategory:
            changes["subcategory"] = [inc.subcategory, subcategory]
        if not changes:
            raise validation_error(
                f"{inc.reference} is already {category}" + (f" / {subcategory}" if subcategory else "") + ".",
                category="Unchanged.",
            )
        inc.category, inc.subcategory = category, subcategory
        notice = _route_restricted(inc, actor, changes) if inc.is_security else None
        return _save(inc, action="update", actor=actor, changes=changes, notified=notice)


def _route_restricted(inc: Incident, actor, changes: dict) -> Communication | None:
    """A security incident is worked only by teams that may see it: one held by another team
    moves to L3 (its assignee too, unless they are in L3), which is told at once."""
    current = inc.assigned_team.code if inc.assigned_team_id else None
    if current is None or current in SECURITY_TEAMS:
        return None
    l3 = _team("L3")
    changes["team"] = [current, l3.code]
    if inc.assignee_id and not l3.members.filter(pk=inc.assignee_id).exists():
        changes["assignee"] = [inc.assignee.get_username(), None]
        inc.assignee = None
    inc.assigned_team = l3
    return communication_record(
        subject_ref=inc.reference,
        sender=actor,
        recipients=[Recipients.TEAM],
        recipient_detail=l3.code,
        kind=Kind.ESCALATION_NOTICE,
        message=f"{inc.reference} ({inc.priority}, {inc.title}) is now a security incident, which only "
        f"L3 and incident managers may see; it moves from {current} to L3.",
    )


# ---- SOP 5: prioritization --------------------------------------------------------------
def incident_prioritize(
    *,
    incident: Incident | str,
    actor,
    justification: str,
    priority: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """SOP 5: change priority, directly or through impact and urgency, with a justification
    that is kept."""
    if priority is None and (impact is None or urgency is None):
        raise validation_error(
            "Give a priority, or both impact and urgency.", priority="Give priority or impact and urgency."
        )
    if priority is not None:
        _choice(priority, Priority, "priority")
    if impact is not None:
        _choice(impact, Level, "impact")
    if urgency is not None:
        _choice(urgency, Level, "urgency")
    justification = _required(justification, "justification", "A priority change needs a justification.")
    with _operation(incident, actor, "prioritize", expected_version) as inc:
        new_impact, new_urgency = impact or inc.impact, urgency or inc.urgency
        new_priority = priority or priority_for(new_impact, new_urgency)
        changes = {
            key: [old, new]
            for key, old, new in (
                ("impact", inc.impact, new_impact),
                ("urgency", inc.urgency, new_urgency),
                ("priority", inc.priority, new_priority),
            )
            if old != new
        }
        if not changes:
            raise validation_error(
                f"{inc.reference} is already {new_priority} ({new_impact} impact, {new_urgency} urgency).",
                priority="Unchanged.",
            )
        changes["priority_justification"] = [inc.priority_justification or None, justification]
        inc.impact, inc.urgency, inc.priority = new_impact, new_urgency, new_priority
        inc.priority_justification = justification
        return _save(inc, action="update", actor=actor, changes=changes)


# ---- SOP 6: initial response and assignment ---------------------------------------------
def incident_assign(
    *,
    incident: Incident | str,
    actor,
    team: str,
    assignee: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """SOP 6: assign to a team (and optionally one of its members); set in_progress, stamp
    the acknowledgement and record it as a communication to the reporter. An analyst assigns
    what is new or with the service desk; moving an incident between other teams is a
    reassignment for a service desk manager or incident manager."""
    _choice(team, AssignmentTeam, "team")
    assignee = (assignee or "").strip() or None  # "" (a blank form field) means no assignee
    with _operation(incident, actor, "assign", expected_version) as inc:
        roles = user_roles(actor)
        current = inc.assigned_team.code if inc.assigned_team_id else None
        managers = {"service_desk_manager", "incident_manager"}
        if not roles & managers and current not in (None, AssignmentTeam.SERVICE_DESK, team):
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{inc.reference} is with {current}; reassigning it to {team} needs a "
                "service desk manager or an incident manager.",
            )
        if inc.is_security and team not in SECURITY_TEAMS:
            raise DomainError(
                ErrorCode.PRECONDITION_FAILED,
                f"{inc.reference} is a security incident, which only L3 and incident managers may "
                f"see; assign it to L3, not {team}.",
            )
        team_obj = _team(team)
        assignee_user = None
        if assignee:
            assignee_user = _active_user(assignee, "assignee")
            if not team_obj.members.filter(pk=assignee_user.pk).exists():
                raise validation_error(
                    f"{assignee} is not a member of {team}.", assignee=f"Not a member of {team}."
                )
        if current == team and inc.assignee_id == (assignee_user.pk if assignee_user else None):
            raise validation_error(
                f"{inc.reference} is already assigned to {team}"
                + (f" / {assignee}" if assignee else "")
                + ".",
                team="Unchanged.",
            )
        before = {
            "status": inc.status,
            "team": current,
            "assignee": inc.assignee.get_username() if inc.assignee_id else None,
        }
        first_acknowledgement = inc.acknowledged_at is None
        now = timezone.now()
        inc.assign(team=team_obj, assignee=assignee_user, at=now)
        changes = {
            key: [before[key], after]
            for key, after in (("status", inc.status), ("team", team), ("assignee", assignee))
            if before[key] != after
        }
        extra, ack = None, None
        if first_acknowledgement:
            ack = communication_record(
                subject_ref=inc.reference,
                sender=actor,
                recipients=[Recipients.REPORTER],
                recipient_detail=inc.reporter.get_username(),
                kind=Kind.ACKNOWLEDGEMENT,
                message=(
                    f"We have received {inc.reference} ({inc.title}). It is assigned to {team} "
                    f"with priority {inc.priority}."
                ),
            )
            changes["acknowledged_at"] = [None, now.isoformat()]
            extra = {"acknowledgement": ack.reference}
        return _save(inc, action="update", actor=actor, changes=changes, extra=extra, notified=ack)


def incident_edit(
    *,
    incident: Incident | str,
    actor,
    title: str | None = None,
    subcategory: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Correct the title or subcategory (PATCH). Status and every governed field change
    only through their own operation."""
    with _operation(incident, actor, "edit", expected_version) as inc:
        changes = {}
        if title is not None:
            title = _required(title, "title", "An incident needs a title.")
            if title != inc.title:
                changes["title"] = [inc.title, title]
                inc.title = title
        if subcategory is not None and _text(subcategory, "subcategory") != inc.subcategory:
            changes["subcategory"] = [inc.subcategory, _text(subcategory, "subcategory")]
            inc.subcategory = changes["subcategory"][1]
        if not changes:
            raise validation_error(f"Nothing to change on {inc.reference}.", non_field_errors="Unchanged.")
        return _save(inc, action="update", actor=actor, changes=changes)

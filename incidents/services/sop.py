"""The incident SOPs of the seed policy, one service each: the only writers of incidents.

Each runs in one transaction: lock the row (through the viewer's visibility, so what the
actor may not see is not found), authorize, check the state, validate, apply, save and
write exactly one audit event. Any refusal raises DomainError and changes nothing.
"""

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from audit.services import append_events, audit_record, build_event
from catalog.models import Service, Vendor
from communications.models import Communication, Kind, Recipients
from communications.services import communication_record
from core.errors import DomainError, ErrorCode, not_found, validation_error
from core.models import drop_stale_relations
from core.roles import STAFF_ROLES, Role, user_roles
from incidents.choices import (
    ACTIVE_STATUSES,
    HIGH_PRIORITIES,
    AssignmentTeam,
    Category,
    ContactMethod,
    DetectionSource,
    EscalationTarget,
    Level,
    Priority,
    Status,
    priority_for,
)
from incidents.models import Incident, VendorEngagement
from incidents.policy import authorize
from incidents.selectors import incidents_visible_to
from incidents.sla import paused_minutes_since, refresh_deadlines

User = get_user_model()
S = Status

DUPLICATE_WINDOW = timedelta(hours=24)
# how far a given detection time may lie ahead of our clock (the sender's clock drifts)…
CLOCK_SKEW = timedelta(minutes=5)
# …and behind it: an SLA clock started further back measures nothing
DETECTED_AT_MAX_AGE = timedelta(days=90)
# the teams that may see security incidents (SPEC.md), so the only ones that can work them
SECURITY_TEAMS = ("L3", "incident_manager")
DUPLICATE_SIMILARITY = 0.6
PUBLIC_RECIPIENTS = (
    Recipients.END_USERS,
    Recipients.STAKEHOLDERS,
    Recipients.EXECUTIVES,
    Recipients.IT_STAFF,
)

# operation -> (states it may start from, past participle for messages)
STATE_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "log": (ACTIVE_STATUSES, "logged"),
    "edit": (ACTIVE_STATUSES, "edited"),
    "categorize": (ACTIVE_STATUSES, "categorized"),
    "prioritize": (ACTIVE_STATUSES, "prioritized"),
    "diagnose": (ACTIVE_STATUSES, "diagnosed"),
    "assign": ((S.OPEN, S.IN_PROGRESS, S.ESCALATED), "assigned"),
    "escalate": ((S.OPEN, S.IN_PROGRESS, S.ESCALATED), "escalated"),
    "engage_vendor": ((S.IN_PROGRESS, S.ESCALATED), "handed to a vendor"),
    "vendor_responded": ((S.PENDING_VENDOR,), "marked as answered by the vendor"),
    "resolve": ((S.IN_PROGRESS, S.ESCALATED, S.PENDING_VENDOR), "resolved"),
    "communicate": ((*ACTIVE_STATUSES, S.RESOLVED), "communicated on"),
    "comment": ((*ACTIVE_STATUSES, S.RESOLVED), "commented on"),
    "close": ((S.RESOLVED,), "closed"),
    "confirm": ((S.RESOLVED,), "confirmed as restored"),
    "reopen": ((S.RESOLVED,), "reopened"),
    "set_major_roles": ((*ACTIVE_STATUSES, S.RESOLVED), "given major-incident roles"),
}


def _join(states) -> str:
    states = [str(s) for s in states]
    return states[0] if len(states) == 1 else ", ".join(states[:-1]) + " or " + states[-1]


def _require_state(incident: Incident, operation: str) -> None:
    states, participle = STATE_RULES[operation]
    if incident.status not in states:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"{incident.reference} is {incident.status}; only an incident that is "
            f"{_join(states)} can be {participle}.",
        )


def _ref(incident: Incident | str) -> str:
    return incident if isinstance(incident, str) else incident.reference


@contextmanager
def _operation(incident: Incident | str, actor, operation: str, expected_version: int | None) -> Iterator:
    """Lock the incident for ``operation`` by ``actor``; run the body in one transaction."""
    with transaction.atomic():
        locked = (
            incidents_visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("assigned_team", "affected_service__calendar", "sla_policy")
            .filter(reference=_ref(incident))
            .first()
        )
        if locked is None:
            raise not_found(f"Incident {_ref(incident)}")
        drop_stale_relations(locked)
        authorize(actor, operation, locked)
        if expected_version is not None and locked.version != expected_version:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"{locked.reference} changed since you loaded it (version {expected_version}, "
                f"now {locked.version}). Reload it and try again.",
                {"version": locked.version},
            )
        _require_state(locked, operation)
        yield locked


DEADLINE_FIELDS = ("acknowledge_due_at", "resolve_due_at", "next_update_due_at")


def _save(
    incident: Incident,
    *,
    action: str,
    actor,
    changes: dict,
    extra: dict | None = None,
    notified: Communication | None = None,
) -> Incident:
    """Recompute the SLA deadlines, save, and write the operation's audit event (which also
    records any deadline the operation moved). ``notified``: a message the operation sent
    besides its change (SOP 6's acknowledgement), audited as its own ``notify`` event in
    the same write."""
    before = {f: getattr(incident, f) for f in DEADLINE_FIELDS}
    refresh_deadlines(incident)
    for field in DEADLINE_FIELDS:
        after = getattr(incident, field)
        if before[field] != after and field not in changes:
            changes[field] = [
                before[field].isoformat() if before[field] else None,
                after.isoformat() if after else None,
            ]
    incident.version += 1
    incident.save()
    events = [build_event(action=action, obj=incident, actor=actor, changes=changes, extra=extra)]
    if notified is not None:  # the message first, so the operation's own event is the head
        events.insert(
            0,
            build_event(
                action="notify",
                obj=incident,
                actor=actor,
                changes={"communication": [None, notified.reference]},
                extra={"kind": notified.kind, "recipients": notified.recipients},
            ),
        )
    append_events(events)
    return incident


# the longest text each field takes (issue 15 #6: a 2.6 MB description was accepted), and
# what a field that grows with every log entry may reach in all
TEXT_LIMITS = {
    "title": 200,
    "subcategory": 100,
    "vendor_reference": 100,
    "description": 10_000,
    "diagnosis": 10_000,
    "steps": 10_000,
    "workaround": 10_000,
    "resolution_summary": 10_000,
    "closure_notes": 5_000,
    "message": 4_000,
    "justification": 2_000,
    "priority_justification": 2_000,
    "reason": 2_000,
    "note": 2_000,
}
ACCUMULATED_LIMIT = 100_000


def _text(value: str | None, field: str) -> str:
    """``value`` stripped, refused past the field's limit (TEXT_LIMITS)."""
    return _max_length((value or "").strip(), TEXT_LIMITS[field], field)


def _required(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise validation_error(message, **{field: "This field is required."})
    return _text(str(value), field)


def _appended(incident: Incident, field: str, entry: str, stamp: str) -> str:
    """``field`` of ``incident`` with ``entry`` added under a time stamp, within
    ACCUMULATED_LIMIT in all."""
    combined = f"{getattr(incident, field)}\n\n[{stamp}] {entry}".strip()
    if len(combined) > ACCUMULATED_LIMIT:
        raise validation_error(
            f"The {field} of {incident.reference} would be {len(combined)} characters long; the limit is "
            f"{ACCUMULATED_LIMIT}. Summarize it in a linked problem or KB article instead.",
            **{field: f"At most {ACCUMULATED_LIMIT} characters in all."},
        )
    return combined


def _max_length(value: str, limit: int, field: str) -> str:
    if len(value) > limit:
        raise validation_error(
            f"{field} is {len(value)} characters long; the limit is {limit}.",
            **{field: f"At most {limit} characters."},
        )
    return value


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise validation_error(
            f"{field} must be one of {', '.join(choices.values)}; got {value!r}.",
            **{field: f"{value!r} is not a valid choice."},
        )
    return value


def _active_service(reference: str) -> Service:
    service = Service.objects.filter(reference=reference).first()
    if service is None or not service.is_active:
        raise validation_error(
            f"No active service {reference}.", affected_service=f"No active service {reference}."
        )
    return service


def _active_user(username: str, field: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise validation_error(f"No active user {username}.", **{field: f"No active user {username}."})
    return user


def _team(code: str, field: str = "team") -> Team:
    team = Team.objects.filter(code=code).first()
    if team is None:
        raise validation_error(f"No team {code}.", **{field: f"No team {code}."})
    return team


# ---- SOP 2: identification --------------------------------------------------------------
def incident_create(
    *,
    actor,
    title: str,
    description: str = "",
    category: str = Category.OTHER,
    impact: str,
    urgency: str,
    affected_service: str,
    detection_source: str = DetectionSource.USER_REPORT,
    subcategory: str = "",
    priority: str | None = None,
    priority_justification: str = "",
    reporter: str | None = None,
    detected_at: datetime | None = None,
    is_personal_data_breach: bool = False,
) -> tuple[Incident, list[Incident]]:
    """SOP 2 (identification): create an ``open`` incident with priority from impact ×
    urgency (an explicit different priority needs a justification). Returns the incident
    and the possible duplicates: active incidents on the same service with a similar title
    in the last 24 h, as far as the actor may see them."""
    roles = user_roles(actor)
    if not roles:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "You need an IMS role to report incidents.")
    if roles <= {"auditor"}:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "Auditors read everything and change nothing; an auditor cannot report incidents.",
        )
    title = _required(title, "title", "An incident needs a title.")
    description, subcategory = _text(description, "description"), _text(subcategory, "subcategory")
    priority_justification = _text(priority_justification, "priority_justification")
    _choice(category, Category, "category")
    _choice(impact, Level, "impact")
    _choice(urgency, Level, "urgency")
    _choice(detection_source, DetectionSource, "detection_source")
    matrix = priority_for(impact, urgency)
    now = timezone.now()
    if not roles & STAFF_ROLES:
        _refuse_staff_only_fields(priority, matrix, detection_source, detected_at, now)
    if priority is not None and priority != matrix:
        _choice(priority, Priority, "priority")
        _required(
            priority_justification,
            "priority_justification",
            f"Priority {priority} differs from the impact × urgency matrix ({matrix}); "
            "give a priority_justification.",
        )
    detected_at = detected_at or now
    if detected_at > now + CLOCK_SKEW:
        raise validation_error("detected_at is in the future.", detected_at="Must not be in the future.")
    if detected_at < now - DETECTED_AT_MAX_AGE:
        raise validation_error(
            f"detected_at is more than {DETECTED_AT_MAX_AGE.days} days in the past.",
            detected_at=f"Must be within the last {DETECTED_AT_MAX_AGE.days} days.",
        )
    with transaction.atomic():
        if reporter and reporter != actor.get_username():
            if not roles & STAFF_ROLES:
                raise DomainError(
                    ErrorCode.PERMISSION_DENIED, "End users report incidents in their own name only."
                )
            reporter_user = _active_user(reporter, "reporter")
        else:
            reporter_user = actor
        service = _active_service(affected_service)
        incident = Incident(
            title=title,
            description=description,
            category=category,
            subcategory=subcategory,
            impact=impact,
            urgency=urgency,
            priority=priority or matrix,
            priority_justification=priority_justification if priority else "",
            detection_source=detection_source,
            reporter=reporter_user,
            affected_service=service,
            detected_at=detected_at,
            logged_at=now,
        )
        incident.flag_personal_data_breach(is_personal_data_breach)
        refresh_deadlines(incident)
        incident.save()
        duplicates = _possible_duplicates(incident, actor)
        audit_record(
            action="identify",
            obj=incident,
            actor=actor,
            changes={
                "status": [None, incident.status],
                "title": [None, incident.title],
                "category": [None, category],
                "priority": [None, incident.priority],
                "affected_service": [None, service.reference],
                "reporter": [None, reporter_user.get_username()],
                "detection_source": [None, detection_source],
            },
            extra={"possible_duplicates": [d.reference for d in duplicates]} if duplicates else None,
        )
    return incident, duplicates


def _refuse_staff_only_fields(priority, matrix, detection_source, detected_at, now) -> None:
    """SPEC.md, who sets what at creation: an explicit priority, the detection source and a
    detection time in the past drive paging and compliance, so they are for staff and
    integrations; end users give the rest (and may flag a personal-data breach)."""

    def refuse(field: str, message: str):
        return DomainError(
            ErrorCode.PERMISSION_DENIED, message, {field: ["Set by staff and integrations only."]}
        )

    if priority is not None and priority != matrix:
        raise refuse(
            "priority",
            "An explicit priority is set by the service desk: your report's priority comes from its "
            f"impact and urgency ({matrix}).",
        )
    if detection_source != DetectionSource.USER_REPORT:
        raise refuse(
            "detection_source",
            f"Reports from people are user_report; {detection_source} is set by staff and integrations.",
        )
    if detected_at is not None and detected_at < now - CLOCK_SKEW:
        raise refuse(
            "detected_at",
            "A detection time in the past is given by staff and integrations; your report is "
            "detected when you send it.",
        )


def _similar(a: str, b: str) -> bool:
    a, b = a.lower().strip(), b.lower().strip()
    return a in b or b in a or difflib.SequenceMatcher(None, a, b).ratio() >= DUPLICATE_SIMILARITY


def incidents_possible_duplicates(*, actor, service: Service, title: str, exclude_pk=None) -> list[Incident]:
    """Active incidents on ``service`` from the last 24 h whose title resembles ``title``."""
    candidates = (
        incidents_visible_to(actor)
        .filter(
            affected_service=service,
            status__in=ACTIVE_STATUSES,
            created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        )
        .exclude(pk=exclude_pk)
        .only("id", "reference", "title", "status", "category", "created_at")
        .order_by("-created_at")[:100]
    )
    return [c for c in candidates if _similar(title, c.title)][:10]


def _possible_duplicates(incident: Incident, actor) -> list[Incident]:
    return incidents_possible_duplicates(
        actor=actor, service=incident.affected_service, title=incident.title, exclude_pk=incident.pk
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


def _system_time(actor, at: datetime | None) -> datetime:
    """When an operation happens: now for people; the system may act as of ``at`` (the SLA
    sweep run for a given moment, ``sla_sweep --now``)."""
    if at is not None and actor is not None:
        raise ValueError("only the system acts as of a given time")
    return at or timezone.now()


@contextmanager
def _operation_or_system(incident, actor, operation, expected_version):
    """Like _operation, but ``actor`` None runs as the system (no visibility or role check)."""
    if actor is not None:
        with _operation(incident, actor, operation, expected_version) as inc:
            yield inc
        return
    with transaction.atomic():
        inc = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("assigned_team", "affected_service__calendar", "sla_policy")
            .filter(reference=_ref(incident))
            .first()
        )
        if inc is None:
            raise not_found(f"Incident {_ref(incident)}")
        drop_stale_relations(inc)
        _require_state(inc, operation)
        yield inc


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

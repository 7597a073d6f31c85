"""Who may take which incident operation: the role table of SPEC.md, in one place.

Staff roles may act on any incident they can see; resolver roles (L1, L2, L3, DevOps,
Facilities) act on incidents assigned to a team they belong to. State rules live on the
model's transitions; this module answers only "may this actor do this to this incident".
"""

from django.utils import timezone

from core.errors import DomainError, ErrorCode
from core.roles import RESOLVER_ROLES, Role, user_roles
from incidents.choices import HIGH_PRIORITIES

SD, SDM, IM = Role.SERVICE_DESK, Role.SERVICE_DESK_MANAGER, Role.INCIDENT_MANAGER
DESK = frozenset({SD, SDM, IM})
VENDOR_RESOLVERS = frozenset({Role.L2, Role.L3, Role.DEVOPS})
# who may close a resolved P3/P4 before its grace period ends, overriding the reporter's
# chance to confirm or reopen it (seed 002: "always allow a grace period"); audited as such
GRACE_OVERRIDE = frozenset({SDM, IM})

# operation -> roles that may take it on any visible incident
ANY_INCIDENT: dict[str, frozenset] = {
    "log": DESK,
    "edit": DESK,
    "categorize": DESK,
    "prioritize": DESK,
    "assign": DESK,
    "diagnose": DESK,
    "escalate": DESK,
    "engage_vendor": frozenset({IM}),
    "vendor_responded": frozenset({IM}),
    "resolve": DESK,
    "communicate": DESK,
    "comment": DESK,
    "close": DESK,
    "reopen": DESK,
    "set_major_roles": frozenset({SDM, IM}),
}
# operation -> resolver roles that may take it on incidents assigned to their team
# (SPEC.md: "work incidents assigned to their team: diagnose, escalate, resolve; L2/L3/DevOps
# engage vendors")
TEAM_INCIDENT: dict[str, frozenset] = {
    "diagnose": RESOLVER_ROLES,
    "escalate": RESOLVER_ROLES,
    "engage_vendor": VENDOR_RESOLVERS,
    "vendor_responded": VENDOR_RESOLVERS,
    "resolve": RESOLVER_ROLES,
    "comment": RESOLVER_ROLES,
}
OPERATION_LABELS = {
    "log": "log details on",
    "edit": "edit",
    "categorize": "categorize",
    "prioritize": "prioritize",
    "assign": "assign",
    "diagnose": "record a diagnosis on",
    "escalate": "escalate",
    "engage_vendor": "engage a vendor on",
    "vendor_responded": "record a vendor response on",
    "resolve": "resolve",
    "communicate": "send communications on",
    "comment": "comment on",
    "close": "close",
    "reopen": "reopen",
    "confirm": "confirm restoration of",
    "set_major_roles": "set the major-incident roles of",
}


def in_assigned_team(user, incident) -> bool:
    if incident.assigned_team_id is None:
        return False
    team_ids = getattr(user, "_ims_team_ids", None)
    if team_ids is None:
        team_ids = frozenset(user.teams.values_list("id", flat=True))
        user._ims_team_ids = team_ids
    return incident.assigned_team_id in team_ids


def may(user, operation: str, incident) -> bool:
    roles = user_roles(user)
    if operation == "confirm":
        return incident.reporter_id == user.pk
    if operation in ("reopen", "comment") and incident.reporter_id == user.pk:
        return True
    if roles & ANY_INCIDENT.get(operation, frozenset()):
        return True
    return bool(roles & TEAM_INCIDENT.get(operation, frozenset())) and in_assigned_team(user, incident)


def authorize(user, operation: str, incident) -> None:
    """Raise permission_denied (or segregation_of_duties) unless ``user`` may do it."""
    if not may(user, operation, incident):
        label = OPERATION_LABELS[operation]
        if operation == "confirm":
            message = f"Only the reporter of {incident.reference} may confirm its restoration."
        elif operation in TEAM_INCIDENT and user_roles(user) & TEAM_INCIDENT[operation]:
            team = incident.assigned_team.code if incident.assigned_team_id else "no team"
            message = (
                f"You may {label} {incident.reference} only while it is assigned to your team; "
                f"it is assigned to {team}."
            )
        else:
            message = f"Your role may not {label} {incident.reference}."
        raise DomainError(ErrorCode.PERMISSION_DENIED, message)
    if operation == "close" and incident.priority not in HIGH_PRIORITIES:
        grace_ends = incident.grace_period_ends_at
        if grace_ends and timezone.now() <= grace_ends and not user_roles(user) & GRACE_OVERRIDE:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{incident.reference} is {incident.priority}: it closes when its reporter confirms "
                f"restoration, or by itself when the grace period ends ({grace_ends:%Y-%m-%d %H:%M} UTC). "
                "Only a service desk manager or an incident manager may close it sooner.",
            )
    if operation == "close" and incident.priority in HIGH_PRIORITIES:
        if not user_roles(user) & {SDM, IM}:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{incident.reference} is {incident.priority}: only an incident manager or a "
                "service desk manager may close a high-priority incident.",
            )
        if incident.reporter_id == user.pk:
            raise DomainError(
                ErrorCode.SEGREGATION_OF_DUTIES,
                f"You reported {incident.reference}; a high-priority incident must be closed by "
                "another incident manager or service desk manager.",
            )


def offered(user, incident, operation: str) -> bool:
    """Whether to offer an operation that state and role allow: a P1/P2 is closed by a
    manager, not confirmed by its reporter; major-incident roles are for a P1; a reopen
    only within the grace period."""
    if operation == "confirm":
        return incident.priority not in HIGH_PRIORITIES
    if operation == "set_major_roles":
        return incident.is_major
    if operation == "reopen":
        return timezone.now() <= incident.grace_period_ends_at
    return True

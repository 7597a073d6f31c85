"""Who may record and read tool usages: the role table, in one place.

SPEC.md: "L2/L3/DevOps engage vendors, use tools" on incidents assigned to their team;
incident managers do everything operational, on any incident they see. Every staff role
reads the tool usages of the incidents it may see (auditors included); end users none.

| operation | L2, L3, DevOps                      | incident manager | others |
|-----------|-------------------------------------|------------------|--------|
| record    | on incidents assigned to their team | yes              | no     |
"""

from core.errors import DomainError, ErrorCode
from core.roles import STAFF_ROLES, Role, user_roles
from incidents.policy import in_assigned_team

VIEWERS = STAFF_ROLES
TEAM_USERS = frozenset({Role.L2, Role.L3, Role.DEVOPS})
MANAGERS = frozenset({Role.INCIDENT_MANAGER})
CANDIDATE_VIEWERS = frozenset({Role.INCIDENT_MANAGER, Role.AUDITOR})


def may_view(user) -> bool:
    return bool(user_roles(user) & VIEWERS)


def may_record_some(user) -> bool:
    """Whether ``user`` may record tool usages on some incident (the page's form)."""
    return bool(user_roles(user) & (TEAM_USERS | MANAGERS))


def may_record(user, incident) -> bool:
    roles = user_roles(user)
    if roles & MANAGERS:
        return True
    return bool(roles & TEAM_USERS) and in_assigned_team(user, incident)


def may_see_candidates(user) -> bool:
    return bool(user_roles(user) & CANDIDATE_VIEWERS)


def authorize(user, operation: str, incident=None) -> None:
    """Raise permission_denied unless ``user`` may ``record`` a tool usage on ``incident``."""
    if operation != "record":
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"Tool usages have no operation {operation}.")
    if incident is not None and may_record(user, incident):
        return
    roles = user_roles(user)
    if incident is not None and roles & TEAM_USERS:
        team = incident.assigned_team.code if incident.assigned_team_id else "no team"
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"You may record tool usage on {incident.reference} only while it is assigned to your team; "
            f"it is assigned to {team}.",
        )
    raise DomainError(
        ErrorCode.PERMISSION_DENIED,
        "Your role may not record tool usage. Only L2, L3 and DevOps engineers (on incidents assigned to "
        "their team) and incident managers may.",
    )

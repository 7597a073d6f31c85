"""Who may take which change operation (SPEC.md, seed 001 SOP 10), in one place.

- Staff but auditors request changes (an auditor changes nothing; an end user requests
  through an incident).
- Change managers (the CAB) approve and reject; a change's requester never approves it,
  nor does the incident manager who implemented it under CAB bypass approve it afterwards
  (seed 001: initiator ≠ approver). A requester who sits on the CAB may still reject, that
  is withdraw, their own change: a refusal grants nothing.
- An approved change is implemented by its requester, the CAB, incident managers or the
  engineers who execute changes under governance (L2, L3, DevOps, Facilities — seed 001
  "L2 / L3 / DevOps / Facilities / Change Management"). Before approval only an incident
  manager may implement, and only an emergency change: the CAB bypass.
- The requester, the CAB and incident managers close an implemented change with its outcome.
- Changes are linked to an incident by the desk, the CAB and incident managers on any
  incident they see, and by resolvers on the incidents assigned to their team.
"""

from changes.choices import ChangeStatus
from core.errors import DomainError, ErrorCode
from core.roles import RESOLVER_ROLES, STAFF_ROLES, Role, user_roles

CM, IM = Role.CHANGE_MANAGER, Role.INCIDENT_MANAGER
REQUESTERS = STAFF_ROLES - {Role.AUDITOR}
CAB = frozenset({CM})
IMPLEMENTERS = frozenset({CM, IM, Role.L2, Role.L3, Role.DEVOPS, Role.FACILITIES})
CLOSERS = frozenset({CM, IM})
BYPASSERS = frozenset({IM})
# who may link changes to any incident they see; resolvers only to their team's incidents
LINKERS = frozenset({Role.SERVICE_DESK, Role.SERVICE_DESK_MANAGER, CM, IM})
TEAM_LINKERS = RESOLVER_ROLES

# operation -> roles that may take it on any change they see
ROLES: dict[str, frozenset] = {
    "create": REQUESTERS,
    "approve": CAB,
    "reject": CAB,
    "implement": IMPLEMENTERS,
    "close": CLOSERS,
}
# operations the change's requester may take whatever their role (still a requester role)
REQUESTER_MAY = frozenset({"implement", "close"})
LABELS = {
    "create": "request changes",
    "approve": "approve",
    "reject": "reject",
    "implement": "implement",
    "close": "close",
}


def may(user, operation: str, change=None) -> bool:
    roles = user_roles(user)
    if roles & ROLES[operation]:
        return True
    return (
        change is not None
        and operation in REQUESTER_MAY
        and change.requester_id == user.pk
        and bool(roles & REQUESTERS)
    )


def authorize(user, operation: str, change=None) -> None:
    """Raise permission_denied unless ``user`` may; segregation_of_duties for a requester
    approving their own change or a bypassing incident manager approving it afterwards."""
    if not may(user, operation, change):
        what = LABELS[operation] if change is None else f"{LABELS[operation]} {change.reference}"
        if operation in ("approve", "reject"):
            raise DomainError(
                ErrorCode.PERMISSION_DENIED, f"Your role may not {what}; a change manager (CAB) decides it."
            )
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"Your role may not {what}.")
    if change is None:
        return
    bypass = operation == "implement" and change.status == ChangeStatus.PENDING and change.is_emergency()
    if bypass and not user_roles(user) & BYPASSERS:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"{change.reference} is not approved yet; only an incident manager may implement an emergency "
            "change before approval (CAB bypass). Otherwise a change manager must approve it first.",
        )
    if operation == "approve" and change.requester_id == user.pk:
        raise DomainError(
            ErrorCode.SEGREGATION_OF_DUTIES,
            f"You requested {change.reference}; another change manager must approve it.",
        )
    if operation == "approve" and change.cab_bypassed and change.implemented_by_id == user.pk:
        raise DomainError(
            ErrorCode.SEGREGATION_OF_DUTIES,
            f"You implemented {change.reference} under CAB bypass; another change manager must approve "
            "it retrospectively.",
        )


def offered(user, change, operation: str) -> bool:
    """Whether to offer an operation that state and role allow: an implemented change is
    approved only retrospectively, after a CAB bypass; a pending one is implemented only as
    an emergency; a change awaiting retrospective approval is not closed yet."""
    if operation == "approve" and change.status == ChangeStatus.IMPLEMENTED:
        return change.awaits_retrospective_approval
    if operation == "implement" and change.status == ChangeStatus.PENDING:
        return change.is_emergency()
    if operation == "close":
        return change.approval_settled()
    return True


def may_link(user, incident) -> bool:
    from incidents.policy import in_assigned_team

    roles = user_roles(user)
    if roles & LINKERS:
        return True
    return bool(roles & TEAM_LINKERS) and in_assigned_team(user, incident)


def authorize_link(user, incident) -> None:
    if may_link(user, incident):
        return
    if user_roles(user) & TEAM_LINKERS:
        team = incident.assigned_team.code if incident.assigned_team_id else "no team"
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"You may link changes to {incident.reference} only while it is assigned to your team; "
            f"it is assigned to {team}.",
        )
    raise DomainError(ErrorCode.PERMISSION_DENIED, f"Your role may not link changes to {incident.reference}.")

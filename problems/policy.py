"""Who may take which problem operation: the role table, in one place.

Following SPEC.md's spirit: the people who work incidents — the service desk (analysts and
their managers), the resolver teams (L1, L2, L3, DevOps, Facilities) and incident managers —
raise problems, update them, link incidents, investigate and record workarounds; declaring
the root cause fixed and closing the problem after its stability window is for incident
managers and L3 engineering (the highest technical authority). Auditors, change managers and
administrators read problems and change nothing (administrators configure the problem
policy in the admin). End users see no problems.

| operation             | service desk, SDM, L1, L2, DevOps, Facilities | L3, incident manager | others |
|-----------------------|-----------------------------------------------|----------------------|--------|
| create, update,       | yes                                           | yes                  | no     |
| start_investigation,  |                                               |                      |        |
| record_workaround,    |                                               |                      |        |
| link_incident         |                                               |                      |        |
| resolve, close        | no                                            | yes                  | no     |

State rules live on the model's transitions; this module answers only "may this actor do
this to this problem".
"""

from core.errors import DomainError, ErrorCode
from core.roles import RESOLVER_ROLES, STAFF_ROLES, Role, user_roles

VIEWERS = STAFF_ROLES
WORKERS = frozenset({Role.SERVICE_DESK, Role.SERVICE_DESK_MANAGER, Role.INCIDENT_MANAGER, *RESOLVER_ROLES})
FIXERS = frozenset({Role.INCIDENT_MANAGER, Role.L3})

ROLES: dict[str, frozenset] = {
    "create": WORKERS,
    "update": WORKERS,
    "start_investigation": WORKERS,
    "record_workaround": WORKERS,
    "link_incident": WORKERS,
    "resolve": FIXERS,
    "close": FIXERS,
}
# what the refusal says the actor may not do, ``{problem}`` the reference (or "problems")
LABELS = {
    "create": "raise problems",
    "update": "update {problem}",
    "start_investigation": "investigate {problem}",
    "record_workaround": "record a workaround on {problem}",
    "link_incident": "link incidents to {problem}",
    "resolve": "resolve {problem}",
    "close": "close {problem}",
}
FIXERS_NOTE = "Only incident managers and L3 engineers may"


def may_view(user) -> bool:
    return bool(user_roles(user) & VIEWERS)


def may(user, operation: str) -> bool:
    return bool(user_roles(user) & ROLES[operation])


def authorize(user, operation: str, problem=None) -> None:
    """Raise permission_denied unless ``user`` may take ``operation`` (on ``problem``)."""
    if may(user, operation):
        return
    what = LABELS[operation].format(problem=problem.reference if problem is not None else "problems")
    message = f"Your role may not {what}."
    if ROLES[operation] == FIXERS:
        message += f" {FIXERS_NOTE} {operation} a problem."
    raise DomainError(ErrorCode.PERMISSION_DENIED, message)

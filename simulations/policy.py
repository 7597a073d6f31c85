"""Who may do what with simulations (SPEC.md, SOP 18: "incident managers only"): incident
managers run them end to end; auditors read them (they read everything); nobody else sees
them.

| operation                                   | incident manager | auditor | others |
|---------------------------------------------|------------------|---------|--------|
| create, start, add_inject, complete,        | yes              | no      | no     |
| add_follow_up, drill_incident               |                  |         |        |
| read                                        | yes              | yes     | no     |
"""

from core.errors import DomainError, ErrorCode
from core.roles import Role, user_roles

RUNNERS = frozenset({Role.INCIDENT_MANAGER})
VIEWERS = frozenset({Role.INCIDENT_MANAGER, Role.AUDITOR})
OPERATIONS = ("create", "start", "add_inject", "complete", "add_follow_up", "drill_incident")


def may_view(user) -> bool:
    return bool(user_roles(user) & VIEWERS)


def may(user, operation: str) -> bool:
    return operation in OPERATIONS and bool(user_roles(user) & RUNNERS)


def authorize(user, operation: str, simulation=None) -> None:
    if may(user, operation):
        return
    raise DomainError(
        ErrorCode.PERMISSION_DENIED,
        f"Your role may not {operation.replace('_', ' ')} "
        f"{simulation.reference if simulation is not None else 'simulations'}. Only incident managers run "
        "simulations.",
    )

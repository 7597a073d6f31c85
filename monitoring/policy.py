"""Who may post monitoring events (SPEC.md: intake tokens, admins and incident managers)
and who reads them (staff)."""

from core.errors import DomainError, ErrorCode
from core.roles import STAFF_ROLES, Role, user_roles

POSTERS = frozenset({Role.ADMIN, Role.INCIDENT_MANAGER})


def authorize_post(user, *, intake_token: bool) -> None:
    roles = user_roles(user)
    if roles & POSTERS:
        return
    if intake_token and roles & STAFF_ROLES:
        return
    if intake_token:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "This intake token's user holds no staff role; give the integration's user a staff role.",
        )
    raise DomainError(
        ErrorCode.PERMISSION_DENIED,
        "Monitoring events are posted by intake tokens, admins and incident managers; "
        "ask an admin for an intake token.",
    )


def may_read(user) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)

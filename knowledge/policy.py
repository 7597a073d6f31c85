"""Who may take which KB operation (SPEC.md): staff write and submit articles; incident
managers approve, reject and retire them; an article's author never approves it."""

from core.errors import DomainError, ErrorCode
from core.roles import STAFF_ROLES, Role, user_roles

WRITERS = STAFF_ROLES - {Role.AUDITOR}
APPROVERS = frozenset({Role.INCIDENT_MANAGER})

ROLES: dict[str, frozenset] = {
    "create": WRITERS,
    "edit": WRITERS,
    "submit": WRITERS,
    "revise": WRITERS,
    "approve": APPROVERS,
    "reject": APPROVERS,
    "retire": APPROVERS,
}
LABELS = {
    "create": "write KB articles",
    "edit": "edit",
    "submit": "submit for review",
    "revise": "revise",
    "approve": "approve",
    "reject": "reject",
    "retire": "retire",
}


def may(user, operation: str) -> bool:
    return bool(user_roles(user) & ROLES[operation])


def authorize(user, operation: str, article=None) -> None:
    """Raise permission_denied unless ``user`` may; segregation_of_duties for an author
    approving their own article."""
    if not may(user, operation):
        what = LABELS[operation] if article is None else f"{LABELS[operation]} {article.reference}"
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"Your role may not {what}.")
    if operation == "approve" and article is not None and article.author_id == user.pk:
        raise DomainError(
            ErrorCode.SEGREGATION_OF_DUTIES,
            f"You wrote this version of {article.reference}; another incident manager must approve it.",
        )

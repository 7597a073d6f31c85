"""Who may take which KB operation (SPEC.md): staff write, edit, submit and revise articles;
incident managers approve, reject and retire them; whoever wrote or edited the working copy
never approves it (segregation of duties). From an incident, the staff who work incidents
(the service desk, resolvers, incident managers) link articles to it and write up a closed
one in the knowledge base."""

from core.errors import DomainError, ErrorCode
from core.roles import RESOLVER_ROLES, STAFF_ROLES, Role, user_roles

WRITERS = STAFF_ROLES - {Role.AUDITOR}
APPROVERS = frozenset({Role.INCIDENT_MANAGER})
# the staff who work incidents: on any incident they can see, since a KB link is a pointer
# to shared knowledge, not work on the incident's assignment
INCIDENT_WORKERS = frozenset({Role.SERVICE_DESK, Role.SERVICE_DESK_MANAGER, Role.INCIDENT_MANAGER}) | (
    RESOLVER_ROLES
)

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
INCIDENT_ROLES: dict[str, frozenset] = {
    "link_kb": INCIDENT_WORKERS,
    "kb_update": INCIDENT_WORKERS & WRITERS,
}
INCIDENT_LABELS = {
    "link_kb": "link KB articles to {ref}",
    "kb_update": "write up {ref} in the knowledge base",
}


def may(user, operation: str) -> bool:
    return bool(user_roles(user) & ROLES[operation])


def authorize(user, operation: str, article=None) -> None:
    """Raise permission_denied unless ``user`` may; segregation_of_duties for an author or
    editor approving the working copy they wrote."""
    if not may(user, operation):
        what = LABELS[operation] if article is None else f"{LABELS[operation]} {article.reference}"
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"Your role may not {what}.")
    if operation == "approve" and article is not None and article.wrote(user):
        did = "wrote" if article.author_id == user.pk else "edited"
        raise DomainError(
            ErrorCode.SEGREGATION_OF_DUTIES,
            f"You {did} this version of {article.reference}; another incident manager must approve it.",
        )


def may_on_incident(user, operation: str) -> bool:
    return bool(user_roles(user) & INCIDENT_ROLES[operation])


def authorize_incident(user, operation: str, incident) -> None:
    """The KB operations on an incident (link-kb/, kb-update/), for an incident ``user``
    can see (the lock went through its visibility)."""
    if not may_on_incident(user, operation):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"Your role may not {INCIDENT_LABELS[operation].format(ref=incident.reference)}.",
        )

"""Who may take which PIR operation (SPEC.md: incident managers run PIRs). The owner of an
action item may also mark it done or cancelled; its text, owner and due date stay the
incident managers' to set."""

from core.errors import DomainError, ErrorCode
from core.roles import Role, user_roles

RUNNERS = frozenset({Role.INCIDENT_MANAGER})

ROLES: dict[str, frozenset] = {
    "create": RUNNERS,
    "update": RUNNERS,
    "complete": RUNNERS,
    "add_item": RUNNERS,
    "update_item": RUNNERS,
}
LABELS = {
    "create": "file post-incident reviews",
    "update": "edit",
    "complete": "complete",
    "add_item": "add action items to",
    "update_item": "update the action items of",
}


def may(user, operation: str) -> bool:
    return bool(user_roles(user) & ROLES[operation])


def owns_an_item(user, review) -> bool:
    """Whether ``user`` owns one of ``review``'s action items (read from its prefetched
    items when the caller has them)."""
    return user.pk is not None and any(item.owner_id == user.pk for item in review.action_items.all())


def authorize(user, operation: str, review=None) -> None:
    """Raise permission_denied unless ``user`` may: incident managers take every operation;
    an action item's owner may update the review's items (which ones: the service decides)."""
    if may(user, operation):
        return
    if operation == "update_item" and review is not None and owns_an_item(user, review):
        return
    what = LABELS[operation] if review is None else f"{LABELS[operation]} {review.reference}"
    raise DomainError(
        ErrorCode.PERMISSION_DENIED,
        f"Your role may not {what}; only incident managers run PIRs.",
    )


def may_update_item_status(user, item) -> bool:
    return may(user, "update_item") or (user.pk is not None and item.owner_id == user.pk)

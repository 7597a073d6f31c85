"""A review's action items (SOP 14: owner, due date, status): added and edited by an
incident manager while the review is a draft; marked done or cancelled by their owner or
an incident manager, before or after completion. Each is an operation on the review's
shared path (its row locked, its version counted) audited ``update`` on the review."""

from datetime import date

from django.db.models import Max
from django.utils import timezone

from core.errors import DomainError, ErrorCode, not_found, validation_error
from reviews.choices import ActionItemStatus, ReviewStatus
from reviews.models import ActionItem
from reviews.policy import may, may_update_item_status
from reviews.services.base import REVIEWS, item_due_date, item_owner
from reviews.services.review import item_description

A = ActionItemStatus
# status -> (the item's transition, what the messages call the move)
MOVES = {A.DONE: ("mark_done", "marked done"), A.CANCELLED: ("cancel", "cancelled")}


def _item_changes(number: int, delta: dict) -> dict:
    return {f"action_items.{number}.{name}": values for name, values in delta.items()}


def _shown(value):
    if isinstance(value, date):
        return value.isoformat()
    return value.get_username() if hasattr(value, "get_username") else value


def action_item_add(
    *,
    review: str,
    actor,
    description: str,
    owner: str | None = None,
    due_date=None,
    expected_version: int | None = None,
) -> ActionItem:
    """Add an action item to a draft review, numbered after the last one."""
    with REVIEWS.operation(review, actor, "add_item", expected_version) as locked:
        number = (locked.action_items.aggregate(last=Max("number"))["last"] or 0) + 1
        item = ActionItem(
            review=locked,
            number=number,
            description=item_description(description, "description", number),
            owner=item_owner(owner, locked.incident, "owner"),
            due_date=item_due_date(due_date, "due_date"),
        )
        item.save()
        delta = {"description": [None, item.description]}
        delta.update(
            {k: [None, _shown(v)] for k, v in (("owner", item.owner), ("due_date", item.due_date)) if v}
        )
        REVIEWS.save(locked, action="update", actor=actor, changes=_item_changes(number, delta))
    return item


def action_item_update(
    *,
    review: str,
    number: int,
    actor,
    status: str | None = None,
    description: str | None = None,
    owner: str | None = None,
    due_date=None,
    expected_version: int | None = None,
) -> ActionItem:
    """Change one action item: ``status`` done or cancelled (its owner or an incident
    manager; only an open item); ``description``, ``owner``, ``due_date`` (an incident
    manager, while the review is a draft). ``None``: left as it is."""
    edits = {"description": description, "owner": owner, "due_date": due_date}
    edits = {name: value for name, value in edits.items() if value not in (None, "")}
    if status is None and not edits:
        raise validation_error(
            f"Nothing to change in action item {number} of {review}: give status, description, owner "
            "or due_date."
        )
    if status is not None and status not in MOVES:
        raise validation_error(
            f"status must be done or cancelled; got {status!r}.", status=f"{status!r} is not a valid choice."
        )
    with REVIEWS.operation(review, actor, "update_item", expected_version) as locked:
        item = locked.action_items.select_for_update().filter(number=number).first()
        if item is None:
            raise not_found(f"Action item {number} of {locked.reference}")
        label = item.label(locked.reference)
        delta: dict = {}
        if edits:
            if not may(actor, "update_item"):
                raise DomainError(
                    ErrorCode.PERMISSION_DENIED,
                    f"Only an incident manager may change the description, owner or due date of {label}; "
                    "its owner may mark it done or cancelled.",
                )
            if locked.status != ReviewStatus.DRAFT:
                raise DomainError(
                    ErrorCode.INVALID_TRANSITION,
                    f"{locked.reference} is {locked.status}: the description, owner and due date of its "
                    "action items are read-only; only their status can change.",
                )
            new = {}
            if "description" in edits:
                new["description"] = item_description(edits["description"], "description", number)
            if "owner" in edits:
                new["owner"] = item_owner(edits["owner"], locked.incident, "owner")
            if "due_date" in edits:
                new["due_date"] = item_due_date(edits["due_date"], "due_date")
            for name, value in new.items():
                if getattr(item, name) != value:
                    delta[name] = [_shown(getattr(item, name)), _shown(value)]
                    setattr(item, name, value)
        if status is not None:
            move, participle = MOVES[status]
            if not may_update_item_status(actor, item):
                owner = item.owner.get_username() if item.owner_id else "nobody yet"
                raise DomainError(
                    ErrorCode.PERMISSION_DENIED,
                    f"Only the owner of {label} ({owner}) or an incident manager may mark it {status}.",
                )
            if item.status != A.OPEN:
                raise DomainError(
                    ErrorCode.INVALID_TRANSITION,
                    f"{label[0].upper()}{label[1:]} is {item.status}; only an open action item can be "
                    f"{participle}.",
                )
            getattr(item, move)(at=timezone.now())
            delta["status"] = [A.OPEN.value, status]
        if not delta:
            return item
        item.save()
        REVIEWS.save(locked, action="update", actor=actor, changes=_item_changes(number, delta))
    return item

"""Every role against every PIR operation: who may, and that ``allowed_actions`` agrees.

Incident managers run PIRs (SPEC.md); an action item's owner may mark their item done or
cancelled; everyone else is refused (end users do not see reviews at all)."""

import pytest

from core.errors import DomainError, ErrorCode
from reviews.services import (
    action_item_add,
    action_item_update,
    review_complete,
    review_create,
    review_update,
)
from reviews.services.base import REVIEWS
from tests.reviews.conftest import tomorrow
from tests.reviews.test_services import TEXTS

OPERATIONS = ("create", "update", "add_item", "update_item", "complete")
Y, N, H = "allowed", "refused", "not found"
# who → the outcome of each operation, in the order of OPERATIONS
MATRIX = {
    "incident_manager": (Y, Y, Y, Y, Y),
    "owner (l2)":       (N, N, N, Y, N),
    "service_desk":     (N, N, N, N, N),
    "service_desk_manager": (N, N, N, N, N),
    "l1":               (N, N, N, N, N),
    "l2":               (N, N, N, N, N),
    "l3":               (N, N, N, N, N),
    "devops":           (N, N, N, N, N),
    "facilities":       (N, N, N, N, N),
    "change_manager":   (N, N, N, N, N),
    "auditor":          (N, N, N, N, N),
    "admin":            (N, N, N, N, N),
    "end_user":         (N, H, H, H, H),
}  # fmt: skip


def _attempt(operation, actor, review, incident, owner):
    calls = {
        "create": lambda: review_create(actor=actor, incident=incident.reference, **TEXTS),
        "update": lambda: review_update(review=review.reference, actor=actor, lessons=f"by {actor.username}"),
        "add_item": lambda: action_item_add(
            review=review.reference,
            actor=actor,
            description="More",
            owner=owner.username,
            due_date=tomorrow(),
        ),
        "update_item": lambda: action_item_update(
            review=review.reference, number=1, actor=actor, status="done"
        ),
        "complete": lambda: review_complete(review=review.reference, actor=actor),
    }
    try:
        calls[operation]()
    except DomainError as refusal:
        return {ErrorCode.PERMISSION_DENIED: N, ErrorCode.NOT_FOUND: H}[refusal.code]
    return Y


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_role_matrix(who, people, make, make_user, file_review, article):
    owner = people.l2
    if who == "incident_manager":
        actor = make_user("incident_manager", team="incident_manager")
    elif who == "owner (l2)":
        actor = owner
    else:
        actor = make_user(who)
    review = file_review(
        lessons="L", kb_articles=[article.reference],
        action_items=[{"description": "Alert", "owner": owner.username, "due_date": tomorrow()}],
    )  # fmt: skip
    offered = set(REVIEWS.allowed_actions(actor, review))
    another = make("resolved", priority="P1")
    outcomes = tuple(_attempt(op, actor, review, another, owner) for op in OPERATIONS)
    assert outcomes == MATRIX[who]
    # what the API and the page offer before acting is what the role may do
    assert offered == {op for op, outcome in zip(OPERATIONS, MATRIX[who], strict=True) if outcome == Y} - {
        "create"
    }

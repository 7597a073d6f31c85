"""The post-incident review on the shared operation path (operations.path): its visibility,
policy and state rules, and the rules of input its operations share (text limits, action
item owners and due dates, KB links)."""

from collections.abc import Iterable
from datetime import date

from django.utils import timezone
from django.utils.dateparse import parse_date

from core.errors import validation_error
from core.roles import STAFF_ROLES, user_roles
from incidents.selectors import incident_visible_to
from knowledge.choices import ArticleStatus
from knowledge.models import Article
from knowledge.selectors import articles_visible_to
from operations import inputs
from operations.inputs import TextRules
from operations.path import Governed, state_rules
from reviews.choices import ReviewStatus
from reviews.models import Review
from reviews.policy import authorize
from reviews.selectors import reviews_visible_to

R = ReviewStatus

# operation -> (states it may start from, past participle for messages). After completion
# the review is read-only except its action items' status.
STATE_RULES = state_rules(
    {
        "update": ((R.DRAFT,), "edited"),
        "complete": (Review.complete, "completed"),
        "add_item": ((R.DRAFT,), "given new action items"),
        "update_item": ((R.DRAFT, R.COMPLETED), "given action item updates"),
    }
)
REVIEWS = Governed(
    model=Review,
    visible_to=reviews_visible_to,
    authorize=authorize,
    rules=STATE_RULES,
    noun="post-incident review",
    related=("incident", "author"),
)
TEXT = TextRules(
    {"timeline": 20_000, "contributing_factors": 10_000, "root_cause": 10_000, "lessons": 10_000,
     "description": 2_000}
)  # fmt: skip
# what complete/ needs filled, in the order its refusal names them
REQUIRED_TO_COMPLETE = ("timeline", "contributing_factors", "root_cause", "lessons")


def item_owner(username: str | None, incident, field: str):
    """The user named to own an action item: active IT staff who may see the incident."""
    if username in (None, ""):
        return None
    owner = inputs.active_user(username, field)
    if not user_roles(owner) & STAFF_ROLES:
        raise validation_error(
            f"{username} is not IT staff; an action item is owned by a member of staff.",
            **{field: f"{username} is not IT staff."},
        )
    if not incident_visible_to(owner, incident):
        raise validation_error(
            f"{username} may not see {incident.reference}; choose an owner who can.",
            **{field: f"{username} may not see {incident.reference}."},
        )
    return owner


def item_due_date(value, field: str) -> date | None:
    """A due date (a date or ISO ``YYYY-MM-DD``), today or later."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_date(value)
        if parsed is None:
            raise validation_error(
                f"{field} must be a date, YYYY-MM-DD; got {value!r}.", **{field: "Not a date."}
            )
        value = parsed
    today = timezone.localdate()
    if value < today:
        raise validation_error(
            f"{field} {value.isoformat()} is in the past; give today ({today.isoformat()}) or later.",
            **{field: "In the past."},
        )
    return value


def linked_articles(actor, references: Iterable[str]) -> list[Article]:
    """The KB articles named, each visible to ``actor`` and not retired."""
    references = list(dict.fromkeys(references))
    found = {a.reference: a for a in articles_visible_to(actor).filter(reference__in=references)}
    for reference in references:
        article = found.get(reference)
        if article is None:
            raise validation_error(f"No KB article {reference}.", kb_articles=f"No KB article {reference}.")
        if article.status == ArticleStatus.RETIRED:
            raise validation_error(
                f"{reference} is retired; link a current article instead.",
                kb_articles=f"{reference} is retired.",
            )
    return [found[r] for r in references]

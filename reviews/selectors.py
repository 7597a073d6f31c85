"""Reads of post-incident reviews, scoped to the viewer: IT staff see the review of every
incident they may see (a blameless review is for everyone to learn from; a security
incident's review is as restricted as the incident); end users see none."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core.roles import STAFF_ROLES, user_roles
from incidents.selectors import SEE_ALL, incidents_visible_to
from reviews.choices import ActionItemStatus
from reviews.models import ActionItem, Review

OPEN = ActionItemStatus.OPEN


def reviews_visible_to(user) -> QuerySet[Review]:
    roles = user_roles(user)
    if not roles & STAFF_ROLES:
        return Review.objects.none()
    if roles & SEE_ALL:
        return Review.objects.all()
    return Review.objects.filter(incident__in=incidents_visible_to(user))


def overdue_q(today=None, prefix: str = "") -> Q:
    """Open action items whose due date has passed (due today is not overdue yet)."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}status": OPEN, f"{prefix}due_date__lt": today})


def with_item_counts(reviews: QuerySet[Review], today=None) -> QuerySet[Review]:
    """Each review with ``items_open`` and ``items_overdue``, in the same query."""
    return reviews.annotate(
        items_open=Count("action_items", filter=Q(action_items__status=OPEN)),
        items_overdue=Count("action_items", filter=overdue_q(today, "action_items__")),
    )


def review_rows(user) -> QuerySet[Review]:
    """What a list row shows: the review, its incident and author, its item counts."""
    return with_item_counts(reviews_visible_to(user).select_related("incident", "author"))


def review_detail_queryset(user) -> QuerySet[Review]:
    """What a detail shows, in a constant number of queries: items with their owners and
    the KB articles prefetched."""
    return (
        reviews_visible_to(user)
        .select_related("incident", "author", "completed_by")
        .prefetch_related("kb_articles", _items_prefetch())
    )


def _items_prefetch():
    return Prefetch("action_items", queryset=ActionItem.objects.select_related("owner").order_by("number"))


def review_for_page(user, reference: str) -> Review | None:
    return review_detail_queryset(user).filter(reference=reference).first()


def action_items_visible_to(user) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(review__in=reviews_visible_to(user)).select_related(
        "review__incident", "owner"
    )


def action_items_owned_by(user) -> QuerySet[ActionItem]:
    """``user``'s action items, open ones first (soonest due first), then done, then
    cancelled (the statuses' reverse alphabetical order)."""
    return (
        ActionItem.objects.filter(owner=user, review__in=reviews_visible_to(user))
        .select_related("review__incident")
        .order_by("-status", "due_date", "review_id", "number")
    )


def action_items_overdue(user, today=None) -> QuerySet[ActionItem]:
    return action_items_visible_to(user).filter(overdue_q(today)).order_by("due_date", "review_id", "number")

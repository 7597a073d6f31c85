"""SOP 14: the post-incident review — filed, edited while a draft, completed. Each is one
operation on the shared path: validate, authorize, check the state, apply, save and audit
in one transaction; any refusal changes nothing."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, ErrorCode, validation_error
from incidents.choices import Status
from incidents.services.sop.base import INCIDENTS, _save
from operations import inputs
from reviews.models import ActionItem, Review
from reviews.policy import authorize
from reviews.requirement import pir_requirement
from reviews.services.base import (
    REQUIRED_TO_COMPLETE,
    REVIEWS,
    TEXT,
    item_due_date,
    item_owner,
    linked_articles,
)

REVIEWABLE = (Status.RESOLVED, Status.CLOSED)


def item_description(value, field: str, n: int) -> str:
    if value is None or not str(value).strip():
        raise validation_error(f"Action item {n} needs a description.", **{field: "This field is required."})
    return inputs.max_length(str(value).strip(), TEXT.limits["description"], field)


def _item_inputs(action_items: Iterable[dict]) -> list[dict]:
    """The action items of a new review, their shape checked (owners once the incident is
    known): ``description`` required, ``owner`` and ``due_date`` optional until complete/."""
    return [
        {
            "description": item_description(item.get("description"), f"action_items.{n}.description", n),
            "owner": item.get("owner"),
            "due_date": item_due_date(item.get("due_date"), f"action_items.{n}.due_date"),
        }
        for n, item in enumerate(action_items, 1)
    ]


def review_create(
    *,
    actor,
    incident: str,
    timeline: str,
    contributing_factors: str,
    root_cause: str,
    action_items: Iterable[dict] = (),
    lessons: str = "",
    kb_articles: Iterable[str] = (),
) -> Review:
    """File the PIR of a resolved or closed incident that owes one (P1/P2, or recurring),
    as a draft with its action items. Audited ``review`` on the review and on the incident,
    whose ``pir_filed_at`` it sets: the SLA sweep stops chasing the PIR."""
    timeline = TEXT.required(timeline, "timeline", "A post-incident review needs its timeline.")
    contributing_factors = TEXT.required(
        contributing_factors, "contributing_factors", "A post-incident review needs its contributing factors."
    )
    root_cause = TEXT.required(root_cause, "root_cause", "A post-incident review needs its root cause.")
    lessons = TEXT.text(lessons, "lessons")
    items = _item_inputs(action_items)
    authorize(actor, "create")
    with transaction.atomic():
        locked = INCIDENTS.lock(INCIDENTS.visible_to(actor), incident)
        existing = Review.objects.filter(incident=locked).values_list("reference", flat=True).first()
        if existing:
            raise DomainError(
                ErrorCode.DUPLICATE,
                f"{locked.reference} already has its post-incident review, {existing}; edit that one.",
                {"existing": existing},
            )
        if locked.status not in REVIEWABLE:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"{locked.reference} is {locked.status}; its post-incident review starts once it is "
                "resolved or closed.",
            )
        requirement = pir_requirement(locked)
        if not requirement.required:
            raise DomainError(ErrorCode.PRECONDITION_FAILED, requirement.message)
        for n, item in enumerate(items, 1):
            item["owner"] = item_owner(item["owner"], locked, f"action_items.{n}.owner")
        articles = linked_articles(actor, kb_articles)
        now = timezone.now()
        review = Review(
            incident=locked,
            author=actor,
            required_because=requirement.because,
            timeline=timeline,
            contributing_factors=contributing_factors,
            root_cause=root_cause,
            lessons=lessons,
        )
        REVIEWS.create(
            review,
            actor=actor,
            action="review",
            changes={"incident": [None, locked.reference], "status": [None, review.status]},
            extra={"required_because": requirement.because, "action_items": len(items),
                   **({"kb_articles": [a.reference for a in articles]} if articles else {})},
        )  # fmt: skip
        review.kb_articles.add(*articles)
        ActionItem.objects.bulk_create(
            ActionItem(review=review, number=n, **item) for n, item in enumerate(items, 1)
        )
        changes = {"pir_filed_at": [None, now.isoformat()], "review": [None, review.reference]}
        if locked.pir_due_at is not None:  # filed: refresh_deadlines clears it
            changes["pir_due_at"] = [locked.pir_due_at.isoformat(), None]
        locked.pir_filed_at = now
        _save(locked, action="review", actor=actor, changes=changes)
    return review


LABELS = {"timeline": "timeline", "contributing_factors": "contributing factors", "root_cause": "root cause",
          "lessons": "lessons", "kb_articles": "KB articles"}  # fmt: skip


def review_update(
    *,
    review: str,
    actor,
    expected_version: int | None = None,
    timeline: str | None = None,
    contributing_factors: str | None = None,
    root_cause: str | None = None,
    lessons: str | None = None,
    kb_articles: Iterable[str] | None = None,
) -> Review:
    """Edit a draft review: its texts (``None``: left as they are; timeline, contributing
    factors and root cause never emptied) and its KB links (``kb_articles``: the whole new
    set). Audited ``update`` with the delta; a change to nothing writes nothing."""
    given = {"timeline": timeline, "contributing_factors": contributing_factors, "root_cause": root_cause,
             "lessons": lessons}  # fmt: skip
    given = {name: value for name, value in given.items() if value is not None}
    if not given and kb_articles is None:
        raise validation_error(
            f"Nothing to change in {review}: give any of timeline, contributing_factors, root_cause, lessons "
            "or kb_articles."
        )
    values = {
        name: TEXT.text(value, name)
        if name == "lessons"
        else TEXT.required(value, name, f"The {LABELS[name]} of {review} cannot be emptied.")
        for name, value in given.items()
    }
    with REVIEWS.operation(review, actor, "update", expected_version) as locked:
        changes = {
            name: [getattr(locked, name), value]
            for name, value in values.items()
            if getattr(locked, name) != value
        }
        for name, (_, value) in changes.items():
            setattr(locked, name, value)
        if kb_articles is not None:
            articles = linked_articles(actor, kb_articles)
            before = sorted(locked.kb_articles.values_list("reference", flat=True))
            after = sorted(a.reference for a in articles)
            if before != after:
                locked.kb_articles.set(articles)
                changes["kb_articles"] = [before, after]
        if not changes:
            return locked
        return REVIEWS.save(locked, action="update", actor=actor, changes=changes)


def missing_to_complete(review: Review, items: list[ActionItem], articles: int) -> dict[str, str]:
    """What complete/ still needs, field by field (``action_items.2.owner``), in order."""
    missing = {name: "Required to complete the review." for name in REQUIRED_TO_COMPLETE
               if not getattr(review, name).strip()}  # fmt: skip
    if not articles:
        missing["kb_articles"] = "Link at least one KB article."
    if not items:
        missing["action_items"] = "Add at least one action item."
    for item in items:
        if item.status == "cancelled":
            continue
        if item.owner_id is None:
            missing[f"action_items.{item.number}.owner"] = "Give it an owner."
        if item.due_date is None:
            missing[f"action_items.{item.number}.due_date"] = "Give it a due date."
    return missing


def _missing_message(reference: str, missing: dict[str, str]) -> str:
    fields = [LABELS[name] for name in (*REQUIRED_TO_COMPLETE, "kb_articles") if name in missing]
    parts = []
    if fields:
        parts.append("fill in its " + ", ".join(fields))
    if "action_items" in missing:
        parts.append("add at least one action item")
    per_item: dict[str, list[str]] = {}
    for key in missing:
        if key.startswith("action_items."):
            _, number, what = key.split(".")
            per_item.setdefault(number, []).append("an owner" if what == "owner" else "a due date")
    parts += [f"give action item {number} {' and '.join(needs)}" for number, needs in per_item.items()]
    return f"{reference} cannot be completed yet: " + "; ".join(parts) + "."


def review_complete(*, review: str, actor, expected_version: int | None = None) -> Review:
    """Complete a draft review: every field filled, at least one KB article and one action
    item, every item that is not cancelled with an owner and a due date (a validation_error
    names each one missing). Audited ``review``; the review is read-only afterwards but for
    its action items' status."""
    with REVIEWS.operation(review, actor, "complete", expected_version) as locked:
        items = list(locked.action_items.order_by("number"))
        missing = missing_to_complete(locked, items, locked.kb_articles.count())
        if missing:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                _missing_message(locked.reference, missing),
                {name: [text] for name, text in missing.items()},
            )
        now = timezone.now()
        locked.complete(by=actor, at=now)
        return REVIEWS.save(
            locked,
            action="review",
            actor=actor,
            changes={"status": ["draft", "completed"], "completed_at": [None, now.isoformat()]},
        )

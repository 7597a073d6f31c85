"""reviews.services.items: adding and changing a review's action items."""

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEvent
from core.errors import ErrorCode
from reviews.models import ActionItem, Review
from reviews.services import action_item_add, action_item_update, review_complete
from tests.reviews.conftest import tomorrow
from tests.reviews.test_services import last_seq, refused


def test_adding_an_item_numbers_it_after_the_last_and_audits_it(file_review, people):
    review = file_review()
    before = last_seq()
    item = action_item_add(
        review=review.reference, actor=people.im, expected_version=1, description="Add a runbook",
        owner=people.l1.username, due_date=tomorrow(),
    )  # fmt: skip
    assert (item.number, item.owner, item.due_date, item.status) == (2, people.l1, tomorrow(), "open")
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.ref_type, event.ref_id, event.domain_action) == ("review", review.reference, "update")
    assert event.changes == {
        "action_items.2.description": [None, "Add a runbook"],
        "action_items.2.owner": [None, people.l1.username],
        "action_items.2.due_date": [None, tomorrow().isoformat()],
    }
    assert Review.objects.get(pk=review.pk).version == 2


def test_add_refusals_change_nothing(file_review, people, article):
    review = file_review()
    ref = review.reference
    done = file_review(lessons="L", kb_articles=[article.reference])
    review_complete(review=done.reference, actor=people.im)
    past = timezone.localdate() - timedelta(days=3)
    cases = [
        (people.l2, ref, {"description": "x"}, ErrorCode.PERMISSION_DENIED,
         f"Your role may not add action items to {ref}; only incident managers run PIRs."),
        (people.im, ref, {"description": ""}, ErrorCode.VALIDATION_ERROR,
         "Action item 2 needs a description."),
        (people.im, ref, {"description": "x", "owner": people.reporter.username}, ErrorCode.VALIDATION_ERROR,
         f"{people.reporter.username} is not IT staff; an action item is owned by a member of staff."),
        (people.im, ref, {"description": "x", "due_date": past}, ErrorCode.VALIDATION_ERROR,
         f"due_date {past.isoformat()} is in the past; give today ({timezone.localdate().isoformat()}) or "
         "later."),
        (people.im, ref, {"description": "x", "due_date": "soon"}, ErrorCode.VALIDATION_ERROR,
         "due_date must be a date, YYYY-MM-DD; got 'soon'."),
        (people.im, ref, {"description": "x", "expected_version": 3}, ErrorCode.CONFLICT,
         f"{ref} changed since you loaded it (version 3, now 1). Reload it and try again."),
        (people.im, done.reference, {"description": "x"}, ErrorCode.INVALID_TRANSITION,
         f"{done.reference} is completed; only a post-incident review that is draft can be given new action "
         "items."),
        (people.im, "PIR-999999", {"description": "x"}, ErrorCode.NOT_FOUND,
         "Post-incident review PIR-999999 was not found."),
    ]  # fmt: skip
    for actor, target, fields, code, message in cases:
        before = last_seq()
        refused(lambda: action_item_add(review=target, actor=actor, **fields), code, message)  # noqa: B023
        assert last_seq() == before
        assert ActionItem.objects.count() == 2


def test_the_owner_marks_an_item_done(file_review, people):
    review = file_review()
    before = last_seq()
    item = action_item_update(review=review.reference, number=1, actor=people.l2, status="done")
    assert (item.status, item.done_at is not None) == ("done", True)
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.domain_action, event.actor, event.changes) == (
        "update", people.l2, {"action_items.1.status": ["open", "done"]}
    )  # fmt: skip


def test_an_incident_manager_cancels_and_edits_items(file_review, people):
    review = file_review(action_items=[{"description": "One"}, {"description": "Two"}])
    item = action_item_update(
        review=review.reference, number=1, actor=people.im, owner=people.l1.username, due_date=tomorrow(),
        description="One, said better",
    )  # fmt: skip
    assert (item.description, item.owner, item.due_date) == ("One, said better", people.l1, tomorrow())
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.changes == {
        "action_items.1.description": ["One", "One, said better"],
        "action_items.1.owner": [None, people.l1.username],
        "action_items.1.due_date": [None, tomorrow().isoformat()],
    }
    cancelled = action_item_update(review=review.reference, number=2, actor=people.im, status="cancelled")
    assert (cancelled.status, cancelled.cancelled_at is not None) == ("cancelled", True)


def test_update_refusals_change_nothing(file_review, people, article):
    review = file_review(action_items=[
        {"description": "Mine", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Theirs", "owner": people.l1.username, "due_date": tomorrow()},
    ], lessons="L", kb_articles=[article.reference])  # fmt: skip
    ref = review.reference
    action_item_update(review=ref, number=2, actor=people.l1, status="done")
    version = Review.objects.get(pk=review.pk).version
    cases = [
        (people.l2, 2, {"status": "done"}, ErrorCode.PERMISSION_DENIED,
         f"Only the owner of action item 2 of {ref} ({people.l1.username}) or an incident manager may "
         "mark it done."),
        (people.l2, 1, {"due_date": tomorrow() + timedelta(days=9)}, ErrorCode.PERMISSION_DENIED,
         f"Only an incident manager may change the description, owner or due date of action item 1 of {ref}; "
         "its owner may mark it done or cancelled."),
        (people.l3, 1, {"status": "done"}, ErrorCode.PERMISSION_DENIED,
         f"Your role may not update the action items of {ref}; only incident managers run PIRs."),
        (people.im, 2, {"status": "cancelled"}, ErrorCode.INVALID_TRANSITION,
         f"Action item 2 of {ref} is done; only an open action item can be cancelled."),
        (people.im, 7, {"status": "done"}, ErrorCode.NOT_FOUND, f"Action item 7 of {ref} was not found."),
        (people.im, 1, {}, ErrorCode.VALIDATION_ERROR,
         f"Nothing to change in action item 1 of {ref}: give status, description, owner or due_date."),
        (people.im, 1, {"status": "open"}, ErrorCode.VALIDATION_ERROR,
         "status must be done or cancelled; got 'open'."),
        (people.im, 1, {"owner": "ghost"}, ErrorCode.VALIDATION_ERROR, "No active user ghost."),
        (people.im, 1, {"status": "done", "expected_version": 1}, ErrorCode.CONFLICT,
         f"{ref} changed since you loaded it (version 1, now {version}). Reload it and try again."),
    ]  # fmt: skip
    for actor, number, fields, code, message in cases:
        before = last_seq()
        refused(lambda: action_item_update(review=ref, number=number, actor=actor, **fields), code, message)  # noqa: B023
        assert last_seq() == before
        assert Review.objects.get(pk=review.pk).version == version
        assert ActionItem.objects.get(review=review, number=1).status == "open"
    review_complete(review=ref, actor=people.im)
    refused(
        lambda: action_item_update(review=ref, number=1, actor=people.im, description="Later"),
        ErrorCode.INVALID_TRANSITION,
        f"{ref} is completed: the description, owner and due date of its action items are read-only; only "
        "their status can change.",
    )

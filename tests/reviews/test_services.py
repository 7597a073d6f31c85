"""reviews.services: filing, editing and completing a PIR — each success with its audit
events, each refusal with its code and message, leaving nothing behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from knowledge.models import Article
from reviews.models import ActionItem, Review
from reviews.services import action_item_update, review_complete, review_create, review_update
from tests.reviews.conftest import tomorrow

TEXTS = {"timeline": "T", "contributing_factors": "F", "root_cause": "R"}


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def refused(call, code, message):
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.message) == (code, message), excinfo.value
    return excinfo.value


# ---- review_create ----------------------------------------------------------------------
def test_filing_a_p1_pir_audits_review_and_incident_and_ends_the_pir_chase(people, make, article):
    incident = make("resolved", priority="P1")
    assert incident.pir_due_at is not None
    before = last_seq()
    review = review_create(
        actor=people.im,
        incident=incident.reference,
        timeline="09:00 alert; 10:00 restored.",
        contributing_factors="Disk filled up.",
        root_cause="Log rotation off.",
        lessons="Alert on disk.",
        kb_articles=[article.reference],
        action_items=[
            {"description": "Alert on disk", "owner": people.l2.username, "due_date": tomorrow()},
            {"description": "Review rotation configs"},
        ],
    )
    assert review.reference.startswith("PIR-") and (review.status, review.version) == ("draft", 1)
    assert review.required_because == "high_priority" and review.author == people.im
    assert [a.reference for a in review.kb_articles.all()] == [article.reference]
    items = list(review.action_items.order_by("number"))
    assert [(i.number, i.description, i.owner, i.due_date, i.status) for i in items] == [
        (1, "Alert on disk", people.l2, tomorrow(), "open"),
        (2, "Review rotation configs", None, None, "open"),
    ]
    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.ref_type, e.ref_id, e.domain_action) for e in events] == [
        ("review", review.reference, "review"),
        ("incident", incident.reference, "review"),
    ]
    assert events[0].changes == {"incident": [None, incident.reference], "status": [None, "draft"]}
    assert events[0].additional_data == {
        "required_because": "high_priority", "action_items": 2, "kb_articles": [article.reference]
    }  # fmt: skip
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.pir_filed_at is not None and stored.pir_due_at is None
    assert stored.version == incident.version + 1
    assert events[1].changes == {
        "pir_filed_at": [None, stored.pir_filed_at.isoformat()],
        "review": [None, review.reference],
        "pir_due_at": [incident.pir_due_at.isoformat(), None],
    }
    assert events[0].actor == events[1].actor == people.im


@pytest.mark.parametrize("priority", ["P1", "P2"])
@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_a_high_priority_resolved_or_closed_incident_gets_its_pir(file_review, make, priority, status):
    review = file_review(make(status, priority=priority))
    assert review.required_because == "high_priority"


def test_a_recurring_p3_gets_its_pir(file_review, make, svc):
    make("closed", priority="P3")
    make("resolved", priority="P4")
    third = make("resolved", priority="P3")  # three on one service and category within 30 days
    assert file_review(third).required_because == "recurring"


def _nothing_filed(incident, before):
    assert not Review.objects.exists() and not ActionItem.objects.exists()
    assert last_seq() == before
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.pir_filed_at, stored.version) == (None, incident.version)


def test_a_one_off_p4_is_refused_with_why(people, make, svc):
    incident = make("resolved", priority="P4")
    before = last_seq()
    refused(
        lambda: review_create(actor=people.im, incident=incident.reference, **TEXTS),
        ErrorCode.PRECONDITION_FAILED,
        f"{incident.reference} is a one-off P4 (1 incident on {svc.reference} in software within 30 days; "
        "3 make it recurring): a PIR is for P1/P2 and recurring incidents, and a one-off P3/P4 gets a "
        "closure summary instead.",
    )
    _nothing_filed(incident, before)


def _create_refusals(people, incident, other):
    """(who, fields, code, message) of review_create on ``incident`` (a resolved P1)."""
    past = timezone.localdate() - timedelta(days=1)
    today = timezone.localdate()
    return [
        ("reporter", {}, ErrorCode.PERMISSION_DENIED,
         "Your role may not file post-incident reviews; only incident managers run PIRs."),
        ("sdm", {}, ErrorCode.PERMISSION_DENIED,
         "Your role may not file post-incident reviews; only incident managers run PIRs."),
        ("auditor", {}, ErrorCode.PERMISSION_DENIED,
         "Your role may not file post-incident reviews; only incident managers run PIRs."),
        ("im", {"timeline": " "}, ErrorCode.VALIDATION_ERROR, "A post-incident review needs its timeline."),
        ("im", {"contributing_factors": ""}, ErrorCode.VALIDATION_ERROR,
         "A post-incident review needs its contributing factors."),
        ("im", {"root_cause": None}, ErrorCode.VALIDATION_ERROR,
         "A post-incident review needs its root cause."),
        ("im", {"timeline": "x" * 20_001}, ErrorCode.VALIDATION_ERROR,
         "timeline is 20001 characters long; the limit is 20000."),
        ("im", {"incident": "INC-999999"}, ErrorCode.NOT_FOUND, "Incident INC-999999 was not found."),
        ("im", {"incident": other.reference}, ErrorCode.INVALID_TRANSITION,
         f"{other.reference} is in_progress; its post-incident review starts once it is resolved or closed."),
        ("im", {"action_items": [{"description": " "}]}, ErrorCode.VALIDATION_ERROR,
         "Action item 1 needs a description."),
        ("im", {"action_items": [{"description": "a"}, {"description": "b", "due_date": past}]},
         ErrorCode.VALIDATION_ERROR,
         f"action_items.2.due_date {past.isoformat()} is in the past; give today ({today.isoformat()}) or "
         "later."),
        ("im", {"action_items": [{"description": "a", "owner": "ghost"}]}, ErrorCode.VALIDATION_ERROR,
         "No active user ghost."),
        ("im", {"action_items": [{"description": "a", "owner": people.reporter.username}]},
         ErrorCode.VALIDATION_ERROR,
         f"{people.reporter.username} is not IT staff; an action item is owned by a member of staff."),
        ("im", {"kb_articles": ["KB-999999"]}, ErrorCode.VALIDATION_ERROR, "No KB article KB-999999."),
    ]  # fmt: skip


def test_create_refusals_change_nothing(people, make):
    incident = make("resolved", priority="P1")
    other = make("in_progress", priority="P1")
    for who, fields, code, message in _create_refusals(people, incident, other):
        body = {"incident": incident.reference, **TEXTS, **fields}
        before = last_seq()
        refused(lambda: review_create(actor=getattr(people, who), **body), code, message)  # noqa: B023
        _nothing_filed(incident, before)


def test_a_second_pir_of_an_incident_is_a_duplicate(file_review, people, make):
    incident = make("resolved", priority="P2")
    first = file_review(incident)
    before = last_seq()
    error = refused(
        lambda: file_review(incident),
        ErrorCode.DUPLICATE,
        f"{incident.reference} already has its post-incident review, {first.reference}; edit that one.",
    )
    assert error.fields == {"existing": first.reference}
    assert Review.objects.count() == 1 and last_seq() == before


def test_an_owner_who_may_not_see_a_security_incident_is_refused(people, make):
    incident = make("resolved", priority="P1", category="security", team="L3")
    refused(
        lambda: review_create(
            actor=people.im, incident=incident.reference, **TEXTS,
            action_items=[{"description": "Rotate keys", "owner": people.l1.username}],
        ),
        ErrorCode.VALIDATION_ERROR,
        f"{people.l1.username} may not see {incident.reference}; choose an owner who can.",
    )  # fmt: skip
    assert not Review.objects.exists()


def test_a_retired_article_is_not_linked(people, make, article):
    Article.objects.filter(pk=article.pk).update(status="retired")  # no retire service yet (knowledge)
    incident = make("resolved", priority="P1")
    refused(
        lambda: review_create(
            actor=people.im, incident=incident.reference, kb_articles=[article.reference], **TEXTS
        ),
        ErrorCode.VALIDATION_ERROR,
        f"{article.reference} is retired; link a current article instead.",
    )
    assert not Review.objects.exists()


# ---- review_update ----------------------------------------------------------------------
def test_editing_a_draft_audits_the_delta(file_review, people, article):
    review = file_review()
    before = last_seq()
    updated = review_update(
        review=review.reference, actor=people.im, expected_version=1, root_cause="Rotation disabled.",
        lessons="Watch disks.", kb_articles=[article.reference], timeline=review.timeline,
    )  # fmt: skip
    assert updated.version == 2 and updated.root_cause == "Rotation disabled."
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.ref_id, event.domain_action) == (review.reference, "update")
    assert event.changes == {
        "root_cause": [review.root_cause, "Rotation disabled."],
        "lessons": ["", "Watch disks."],
        "kb_articles": [[], [article.reference]],
    }


def test_an_edit_that_changes_nothing_writes_nothing(file_review, people):
    review = file_review()
    before = last_seq()
    same = review_update(review=review.reference, actor=people.im, root_cause=review.root_cause)
    assert same.version == 1 and last_seq() == before


def test_update_refusals_change_nothing(file_review, people, article):
    review = file_review()
    ref = review.reference
    cases = [
        (people.l2, {"lessons": "x"}, ErrorCode.PERMISSION_DENIED,
         f"Your role may not edit {ref}; only incident managers run PIRs."),
        (people.reporter, {"lessons": "x"}, ErrorCode.NOT_FOUND,
         f"Post-incident review {ref} was not found."),
        (people.im, {}, ErrorCode.VALIDATION_ERROR,
         f"Nothing to change in {ref}: give any of timeline, contributing_factors, root_cause, lessons or "
         "kb_articles."),
        (people.im, {"root_cause": " "}, ErrorCode.VALIDATION_ERROR,
         f"The root cause of {ref} cannot be emptied."),
        (people.im, {"lessons": "x", "expected_version": 7}, ErrorCode.CONFLICT,
         f"{ref} changed since you loaded it (version 7, now 1). Reload it and try again."),
        (people.im, {"kb_articles": ["KB-424242"]}, ErrorCode.VALIDATION_ERROR, "No KB article KB-424242."),
    ]  # fmt: skip
    for actor, fields, code, message in cases:
        before = last_seq()
        refused(lambda: review_update(review=ref, actor=actor, **fields), code, message)  # noqa: B023
        assert last_seq() == before
        stored = Review.objects.get(pk=review.pk)
        assert (stored.version, stored.lessons, stored.kb_articles.count()) == (1, "", 0)


# ---- review_complete --------------------------------------------------------------------
def test_completing_a_filled_review(file_review, people, article):
    review = file_review(lessons="Alert earlier.", kb_articles=[article.reference])
    before = last_seq()
    done = review_complete(review=review.reference, actor=people.im, expected_version=1)
    assert (done.status, done.version, done.completed_by) == ("completed", 2, people.im)
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.ref_id, event.domain_action) == (review.reference, "review")
    completed_at = done.completed_at.isoformat()
    assert event.changes == {"status": ["draft", "completed"], "completed_at": [None, completed_at]}


def test_complete_names_every_missing_field_and_item(file_review, people):
    review = file_review(action_items=[
        {"description": "Has both", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Has neither"},
        {"description": "Has an owner", "owner": people.l1.username},
    ])  # fmt: skip
    before = last_seq()
    error = refused(
        lambda: review_complete(review=review.reference, actor=people.im),
        ErrorCode.VALIDATION_ERROR,
        f"{review.reference} cannot be completed yet: fill in its lessons, KB articles; give action item 2 "
        "an owner and a due date; give action item 3 a due date.",
    )
    assert error.fields == {
        "lessons": ["Required to complete the review."],
        "kb_articles": ["Link at least one KB article."],
        "action_items.2.owner": ["Give it an owner."],
        "action_items.2.due_date": ["Give it a due date."],
        "action_items.3.due_date": ["Give it a due date."],
    }
    assert Review.objects.get(pk=review.pk).status == "draft" and last_seq() == before


def test_complete_needs_an_action_item_and_skips_cancelled_ones(file_review, people, article):
    review = file_review(action_items=[], lessons="L", kb_articles=[article.reference])
    refused(
        lambda: review_complete(review=review.reference, actor=people.im),
        ErrorCode.VALIDATION_ERROR,
        f"{review.reference} cannot be completed yet: add at least one action item.",
    )
    other = file_review(lessons="L", kb_articles=[article.reference], action_items=[
        {"description": "Done right", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Dropped"},
    ])  # fmt: skip
    action_item_update(review=other.reference, number=2, actor=people.im, status="cancelled")
    assert review_complete(review=other.reference, actor=people.im).status == "completed"


def test_a_completed_review_is_read_only_but_for_item_status(file_review, people, article):
    review = file_review(lessons="L", kb_articles=[article.reference])
    review_complete(review=review.reference, actor=people.im)
    ref = review.reference
    refused(
        lambda: review_update(review=ref, actor=people.im, lessons="More"),
        ErrorCode.INVALID_TRANSITION,
        f"{ref} is completed; only a post-incident review that is draft can be edited.",
    )
    refused(
        lambda: review_complete(review=ref, actor=people.im),
        ErrorCode.INVALID_TRANSITION,
        f"{ref} is completed; only a post-incident review that is draft can be completed.",
    )
    item = action_item_update(review=ref, number=1, actor=people.l2, status="done")
    assert item.status == "done" and item.done_at is not None


def test_complete_refusals_by_role(file_review, people):
    review = file_review()
    for who in ("l2", "sdm", "auditor", "analyst"):
        refused(
            lambda: review_complete(review=review.reference, actor=getattr(people, who)),  # noqa: B023
            ErrorCode.PERMISSION_DENIED,
            f"Your role may not complete {review.reference}; only incident managers run PIRs.",
        )

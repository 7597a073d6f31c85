"""The chase of overdue action items: owner and incident managers notified once per item,
each notification audited, however often (or however many at once) it runs."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from audit.verify import verify_chain
from communications.models import Communication
from ims.celery import app
from reviews.models import ActionItem
from reviews.services import action_item_update, action_items_chase
from reviews.tasks import action_items_chase_task
from tests.reviews.conftest import tomorrow

DAY = timedelta(days=1)


def _review_with_items(file_review, people):
    review = file_review(action_items=[
        {"description": "Alert on queue depth", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Find an owner for the relay", "due_date": tomorrow()},
        {"description": "Rewrite the runbook", "owner": people.l1.username, "due_date": tomorrow() + 9 * DAY},
        {"description": "Already done", "owner": people.l2.username, "due_date": tomorrow()},
    ])  # fmt: skip
    action_item_update(review=review.reference, number=4, actor=people.l2, status="done")
    return review


def test_overdue_items_are_chased_once_each(file_review, people):
    review = _review_with_items(file_review, people)
    incident = review.incident.reference
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert action_items_chase(now=timezone.now() + DAY) == 0  # due today is not overdue yet
    later = timezone.now() + 3 * DAY
    assert action_items_chase(now=later) == 2
    assert action_items_chase(now=later) == 0
    assert action_items_chase(now=later + 5 * DAY) == 0  # chased once, even when later still open

    notes = list(Communication.objects.filter(subject_ref=review.reference).order_by("id"))
    assert [(n.recipients, n.recipient_detail) for n in notes] == [
        (["IT_staff"], people.l2.username),
        (["team"], "incident_manager"),
        (["team"], "incident_manager"),
    ]
    due = tomorrow().isoformat()
    assert notes[0].message == (
        f'Action item 1 of {review.reference} ({incident}), "Alert on queue depth", was due {due} and is '
        "still open. Mark it done, or ask an incident manager to change its due date."
    )
    assert notes[1].message == (
        f'Action item 1 of {review.reference} ({incident}), "Alert on queue depth", owned by '
        f"{people.l2.username}, was due {due} and is still open."
    )
    assert notes[2].message == (
        f'Action item 2 of {review.reference} ({incident}), "Find an owner for the relay", with no owner, '
        f"was due {due} and is still open."
    )
    events = list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))
    assert [(e.ref_type, e.ref_id, e.domain_action, e.actor_label) for e in events] == [
        ("review", review.reference, "notify", "system")
    ] * 3
    assert [e.changes for e in events] == [{"communication": [None, n.reference]} for n in notes]
    assert [(e.additional_data["action_item"], e.additional_data["to"]) for e in events] == [
        (1, people.l2.username), (1, "incident_manager"), (2, "incident_manager")
    ]  # fmt: skip
    chased = dict(ActionItem.objects.filter(review=review).values_list("number", "chased_at"))
    assert chased[1] == chased[2] == later and chased[3] is None and chased[4] is None


def test_the_beat_task_runs_the_chase(file_review, people):
    review = file_review(
        action_items=[{"description": "Due", "owner": people.l2.username, "due_date": tomorrow()}]
    )
    ActionItem.objects.filter(review=review).update(
        due_date=timezone.localdate() - 2 * DAY
    )  # as if time passed
    assert action_items_chase_task() == 1
    assert app.conf.beat_schedule["reviews-chase"]["task"] == action_items_chase_task.name
    assert action_items_chase_task.name == "reviews.tasks.action_items_chase"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_chases_at_once_notify_each_item_once(file_review, people):
    items = [
        {"description": f"Item {n}", "owner": people.l2.username, "due_date": tomorrow()} for n in range(40)
    ]
    review = file_review(action_items=items)
    later = timezone.now() + 3 * DAY
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def chase():
        try:
            barrier.wait(timeout=10)
            counts.append(action_items_chase(now=later, batch_size=4))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=chase) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and sum(counts) == 40, (counts, errors)
    notes = Communication.objects.filter(subject_ref=review.reference)
    assert notes.count() == 80
    assert sorted(notes.values_list("recipient_detail", flat=True)) == sorted(
        [people.l2.username] * 40 + ["incident_manager"] * 40
    )
    assert AuditEvent.objects.filter(ref_id=review.reference, domain_action="notify").count() == 80
    assert not ActionItem.objects.filter(review=review, chased_at__isnull=True).exists()
    assert verify_chain()[1] is None

"""The chase of overdue action items (Celery beat, reviews.tasks): every open item past its
due date is chased once — its owner and the incident managers each sent a recorded
message (communications), each message audited ``notify`` on the review by the system,
and the item's ``chased_at`` set so that it is never chased again.

Two chases at once act once per item: a batch locks its items with ``SELECT … FOR UPDATE
SKIP LOCKED`` (another chase takes other items), and each item is claimed by a conditional
UPDATE of ``chased_at`` (a chase that read it before the other committed claims nothing).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from audit.services import append_events, build_event
from communications.models import Kind, Recipients
from communications.services import communication_record
from reviews.choices import ActionItemStatus
from reviews.models import ActionItem

BATCH_SIZE = 50
INCIDENT_MANAGERS = "incident_manager"  # the team the incident managers are in


def _overdue(today):
    return ActionItem.objects.filter(status=ActionItemStatus.OPEN, chased_at__isnull=True, due_date__lt=today)


def action_items_chase(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Chase every open action item whose due date (in the site's time zone) is before
    ``now``'s date and that was never chased; return how many were chased."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    chased = 0
    while True:
        with transaction.atomic():
            batch = list(
                _overdue(today)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("review__incident", "owner")
                .order_by("due_date", "pk")[:batch_size]
            )
            events = []
            for item in batch:
                if _claim(item, now):
                    events += _notify(item, now)
                    chased += 1
            append_events(events)
        if len(batch) < batch_size:
            return chased


def _claim(item: ActionItem, now: datetime) -> bool:
    claimed = ActionItem.objects.filter(pk=item.pk, chased_at__isnull=True).update(chased_at=now)
    item.chased_at = now
    return bool(claimed)


def _notify(item: ActionItem, now: datetime) -> list:
    """The owner's and the incident managers' messages, and an audit event for each."""
    review = item.review
    what = Truncator(item.description).chars(200)
    about = f'Action item {item.number} of {review.reference} ({review.incident.reference}), "{what}"'
    due = item.due_date.isoformat()
    messages = []
    if item.owner_id:
        messages.append(
            (
                item.owner.get_username(),
                [Recipients.IT_STAFF],
                f"{about}, was due {due} and is still open. Mark it done, or ask an incident manager "
                "to change its due date.",
            )
        )
    owner = f"owned by {item.owner.get_username()}" if item.owner_id else "with no owner"
    messages.append(
        (INCIDENT_MANAGERS, [Recipients.TEAM], f"{about}, {owner}, was due {due} and is still open.")
    )
    events = []
    for to, recipients, message in messages:
        note = communication_record(
            subject_ref=review.reference,
            sender=None,
            recipients=recipients,
            recipient_detail=to,
            kind=Kind.UPDATE,
            message=message,
        )
        events.append(
            build_event(
                action="notify",
                obj=review,
                actor=None,
                changes={"communication": [None, note.reference]},
                extra={"action_item": item.number, "to": to, "due_date": due, "chase": "overdue"},
            )
        )
    return events

"""The outbox: deliveries written with their communication, drained after commit and by beat.

At least once, never queued twice: each (communication, channel, address) has one row (its
unique ``dedup_key``, also sent as ``X-IMS-Delivery`` so a receiver can drop a repeat). A drain
claims due rows — ``select_for_update(skip_locked=True)`` on PostgreSQL, and on every database
a compare-and-set on (attempts, next_attempt_at) — by pushing ``next_attempt_at`` one lease
ahead: a worker killed mid-send leaves its rows due again when the lease ends. A failure is
retried with exponential backoff, up to IMS_OUTBOX_MAX_ATTEMPTS, then the row is ``failed``.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from communications.models import Channel, Communication, Delivery, DeliveryStatus, WebhookEndpoint
from communications.recipients import resolve_addresses

logger = logging.getLogger(__name__)

BATCH = 50


def deliveries_queue(communication: Communication) -> list[Delivery]:
    """The outbox rows of an e-mail or webhook communication, in the caller's transaction;
    the drain is enqueued once it commits. None resolved: the communication is ``failed``."""
    now = timezone.now()
    if communication.channel == Channel.EMAIL:
        addresses = resolve_addresses(
            communication.subject_ref, communication.recipients, communication.recipient_detail
        )
        rows = [Delivery(channel=Channel.EMAIL, address=a) for a in addresses]
    elif communication.channel == Channel.WEBHOOK:
        endpoints = WebhookEndpoint.objects.filter(is_active=True).order_by("name")
        rows = [Delivery(channel=Channel.WEBHOOK, address=e.name, endpoint=e) for e in endpoints]
    else:
        return []
    for row in rows:
        row.communication = communication
        row.next_attempt_at = now
        row.dedup_key = f"{communication.reference}:{row.channel}:{row.address}"
    if not rows:
        communication.delivery_status = DeliveryStatus.FAILED
        communication.save(update_fields=["delivery_status", "updated_at"])
        return []
    Delivery.objects.bulk_create(rows)
    transaction.on_commit(enqueue_drain)
    return rows


def enqueue_drain() -> None:
    """Ask a worker to drain now. A broker that is down loses nothing: beat drains later."""
    from communications.tasks import deliveries_drain

    try:
        deliveries_drain.delay()
    except Exception:  # noqa: BLE001 — any broker failure; the rows wait for the beat drain
        logger.warning("outbox: could not enqueue the drain; the beat drain will deliver", exc_info=True)


def claim(*, now=None, limit: int | None = None) -> list[Delivery]:
    """Take up to ``limit`` (BATCH) due rows for one lease; each claimed row's attempts counts this one."""
    now = now or timezone.now()
    limit = limit or BATCH
    lease_end = now + timedelta(seconds=settings.IMS_OUTBOX_LEASE_SECONDS)
    claimed = []
    with transaction.atomic():
        due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        due = due.order_by("next_attempt_at", "id").select_related("communication", "endpoint")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        for row in due[:limit]:
            won = Delivery.objects.filter(
                id=row.id,
                status=Delivery.Status.PENDING,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
            ).update(attempts=F("attempts") + 1, next_attempt_at=lease_end, updated_at=now)
            if won:
                row.attempts += 1
                row.next_attempt_at = lease_end
                claimed.append(row)
    return claimed


def _finish(row: Delivery, now, **changes) -> bool:
    """Record a claim's outcome unless the lease was lost (another worker re-claimed the row)."""
    mine = Delivery.objects.filter(
        id=row.id, status=Delivery.Status.PENDING, attempts=row.attempts, next_attempt_at=row.next_attempt_at
    )
    return bool(mine.update(updated_at=now, **changes))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.IMS_OUTBOX_BACKOFF_SECONDS * 2 ** (attempts - 1))


def deliver(row: Delivery, *, now=None) -> str:
    """Send one claimed row through its channel; its new status."""
    from communications.channels import CHANNELS

    try:
        send = CHANNELS[row.channel]
        send(row)
    except Exception as exc:  # noqa: BLE001 — the reason is kept on the row
        now = now or timezone.now()
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= settings.IMS_OUTBOX_MAX_ATTEMPTS:
            _finish(row, now, status=Delivery.Status.FAILED, last_error=reason)
            status = Delivery.Status.FAILED
        else:
            _finish(row, now, next_attempt_at=now + backoff(row.attempts), last_error=reason)
            status = Delivery.Status.PENDING
        logger.info("outbox: %s attempt %s failed: %s", row.dedup_key, row.attempts, reason)
    else:
        now = now or timezone.now()
        _finish(row, now, status=Delivery.Status.SENT, sent_at=now, last_error="")
        status = Delivery.Status.SENT
    communication_status_refresh(row.communication_id)
    return status


def communication_status_refresh(communication_id: int) -> None:
    """The communication's delivery_status follows its rows: failed if one failed, sent if all were.

    Under the communication's row lock: two drains finishing its rows at once read one after
    the other, so the second sees the first's row and neither leaves a stale status."""
    with transaction.atomic():
        if not list(Communication.objects.select_for_update().filter(id=communication_id).values_list("id")):
            return
        _status_write(communication_id)


def _status_write(communication_id: int) -> None:
    statuses = set(
        Delivery.objects.filter(communication_id=communication_id).values_list("status", flat=True)
    )
    if Delivery.Status.FAILED in statuses:
        value = DeliveryStatus.FAILED
    elif statuses == {Delivery.Status.SENT}:
        value = DeliveryStatus.SENT
    else:
        value = DeliveryStatus.PENDING
    Communication.objects.filter(id=communication_id).exclude(delivery_status=value).update(
        delivery_status=value, updated_at=timezone.now()
    )


def drain(*, now=None, batches: int = 20) -> dict[str, int]:
    """Deliver every due row (up to ``batches`` claims); the counts by outcome."""
    counts = {"sent": 0, "pending": 0, "failed": 0}
    for _ in range(batches):
        rows = claim(now=now)
        if not rows:
            break
        for row in rows:
            counts[deliver(row, now=now)] += 1
    return counts

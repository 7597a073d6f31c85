"""Thin task wrappers around the outbox."""

from celery import shared_task

from communications import outbox


@shared_task(name="communications.tasks.deliveries_drain", ignore_result=True)
def deliveries_drain() -> dict[str, int]:
    """Deliver the due outbox rows (after a commit, and on beat for retries and lost messages)."""
    return outbox.drain()

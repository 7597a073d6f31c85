from celery import shared_task
from django.utils import timezone

from core.models import Heartbeat


@shared_task(name="core.tasks.heartbeat")
def heartbeat(source: str = "beat") -> str:
    """Proves a worker consumes what beat (or anyone) publishes."""
    Heartbeat.objects.update_or_create(name=source, defaults={"last_seen": timezone.now()})
    return source

"""Reads of the audit trail that are not the API's list."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone

from audit.models import AuditEvent


@dataclass
class RetentionReport:
    days: int
    cutoff: datetime
    count: int
    oldest_seq: int | None
    newest_seq: int | None
    oldest_at: datetime | None
    newest_at: datetime | None


def events_past_retention(*, now: datetime | None = None) -> RetentionReport:
    """The events older than IMS_AUDIT_RETENTION_DAYS, in one aggregate query. Only listed:
    the trail refuses deletes, and archiving is the organization's decision."""
    days = settings.IMS_AUDIT_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    past = AuditEvent.objects.filter(timestamp__lt=cutoff).aggregate(
        count=Count("id"),
        oldest_seq=Min("seq"),
        newest_seq=Max("seq"),
        oldest_at=Min("timestamp"),
        newest_at=Max("timestamp"),
    )
    return RetentionReport(days=days, cutoff=cutoff, **past)

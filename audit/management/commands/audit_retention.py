from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import events_past_retention


class Command(BaseCommand):
    help = (
        "List the audit events past the retention period (IMS_AUDIT_RETENTION_DAYS): how many, "
        "oldest and newest. Never deletes anything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to measure the period from (default: now)")

    def handle(self, *args, now=None, **options):
        try:
            at = datetime.fromisoformat(now) if now else None
        except ValueError as exc:
            raise CommandError(f"--now {now!r} is not an ISO date-time.") from exc
        if at is not None and at.tzinfo is None:
            raise CommandError(f"--now {now!r} needs a time zone, e.g. {now}+00:00.")
        report = events_past_retention(now=at)
        head = f"Retention {report.days} day(s) (IMS_AUDIT_RETENTION_DAYS): "
        if not report.count:
            self.stdout.write(f"{head}no event is older than {report.cutoff.isoformat()}.")
            return
        self.stdout.write(
            f"{head}{report.count} event(s) older than {report.cutoff.isoformat()}: "
            f"#{report.oldest_seq} ({report.oldest_at.isoformat()}) to "
            f"#{report.newest_seq} ({report.newest_at.isoformat()}). "
            "Nothing is deleted: the trail is append-only; archive them as your organization's "
            "policy says (README: backup and restore)."
        )

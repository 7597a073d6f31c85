from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify_trail


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every event's keyed hash and link, and the trail against its "
        "signed checkpoints; exit non-zero naming a changed, rewritten, truncated or emptied trail."
    )

    def handle(self, *args, **options):
        report = verify_trail()
        if not report.intact:
            raise CommandError(report.problem)
        self.stdout.write(self.style.SUCCESS(report.summary()))

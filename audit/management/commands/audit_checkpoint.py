from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import AuditTamperError, checkpoint_record


class Command(BaseCommand):
    help = (
        "Sign the audit trail's (seq, head hash) into the checkpoint table and file "
        "(beat runs it every 5 minutes); refuses, non-zero, if the trail no longer matches the last one."
    )

    def handle(self, *args, **options):
        try:
            result = checkpoint_record()
        except AuditTamperError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.message) if result.checkpoint else result.message)

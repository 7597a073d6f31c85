from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit non-zero naming the first bad event."

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken:
            ident = f" (id {broken.event_id})" if broken.event_id else ""
            raise CommandError(
                f"Audit chain broken at event #{broken.seq}{ident}: {broken.reason}. "
                f"{checked} event(s) before it verified."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} event(s) verified."))

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from incidents.sweep import BATCH_SIZE, sla_sweep


class Command(BaseCommand):
    help = "Run the SLA sweep once (as beat does every 30 s), optionally as of --now ISO-8601."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="act as of this time, e.g. 2026-11-25T17:00:00+00:00")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, now=None, batch_size=BATCH_SIZE, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError(f"--now must be an ISO-8601 time with a zone, got {now!r}.")
        done = sla_sweep(now=moment, batch_size=batch_size)
        total = sum(done.values())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(done.items())) or "nothing due"
        self.stdout.write(f"SLA sweep: {total} action(s) ({detail}).")

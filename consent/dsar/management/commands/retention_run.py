"""Run the retention policies now (the daily task does the same)."""

from django.core.management.base import BaseCommand

from consent.dsar.models import RunTrigger
from consent.dsar.retention import retention_preview, retention_run


class Command(BaseCommand):
    help = "Apply every enforced retention policy now (--dry-run shows what the run would remove and warn)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            for code, tally in retention_preview().items():
                self.stdout.write(f"{code}: {tally.deleted} to remove, {tally.warned} to warn")
            return
        run = retention_run(trigger=RunTrigger.MANUAL)
        for code, entry in run.results.items():
            if "error" in entry:
                self.stdout.write(f"{code}: FAILED ({entry['error']})")
            else:
                self.stdout.write(f"{code}: {entry['deleted']} removed, {entry['warned']} warned")
        if run.failed:
            raise SystemExit(1)

"""Run the retention policies now (the daily task does the same)."""

from django.core.management.base import BaseCommand

from consent.dsar.retention import retention_apply, retention_preview


class Command(BaseCommand):
    help = "Delete what has outlived its retention (--dry-run shows what would go)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        result = retention_preview() if dry_run else retention_apply()
        for category, count in result.items():
            self.stdout.write(f"{category}: {count}")

"""Re-apply the erasure journal after a database restore: every erasure since the backup is done again."""

from django.core.management.base import BaseCommand

from consent.erasure_journal import erasures_replay, journal_path


class Command(BaseCommand):
    help = (
        "After restoring a database backup, erase again every account the erasure journal (ERASURE_JOURNAL_PATH) "
        "names that the restored database holds unerased. Safe to run any number of times."
    )

    def handle(self, *args, **options):
        outcome = erasures_replay()
        self.stdout.write(
            self.style.SUCCESS(
                f"erasure journal {journal_path()}: {len(outcome.erased)} erased again, {outcome.already} already "
                f"erased, {outcome.missing} accounts not in this database"
            )
        )

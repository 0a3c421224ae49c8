"""`manage.py chat_retention [--dry-run]`: apply the two chat retention policies now (the daily `dsar.retention` run does this too)."""

from django.core.management.base import BaseCommand

from community.chat.services import chat_retention_run, retention_due


class Command(BaseCommand):
    help = "Delete closed chats whose retention has passed (kept longer only with the chat_transcript consent)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only show how many chats the run would delete.")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            self.stdout.write(f"{retention_due().count()} chat(s) due for deletion")
            return
        deleted = chat_retention_run()
        self.stdout.write(f"{deleted} chat(s) deleted")

"""Re-queue (or fail) the tasks of workers whose heartbeat stopped, now (the scheduler does it every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from portal import task_leases


class Command(BaseCommand):
    help = (
        "Re-queue RUNNING tasks whose worker has been silent for longer than TASK_LEASE_SECONDS; "
        "after TASK_MAX_ATTEMPTS lost workers a task is marked failed instead."
    )

    def handle(self, *args, **options):
        counts = task_leases.recover_lost_tasks()
        self.stdout.write(f"requeued {counts['requeued']}, failed {counts['failed']}")

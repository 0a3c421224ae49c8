"""Enqueue the registered periodic jobs when they are due (one process beside the workers)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError

from portal import schedule


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (CRM sweep, retention, ledger checkpoints, ...) when due. "
        "Keep it running beside `db_worker`; --once enqueues what is due and exits (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now, then exit.")
        parser.add_argument("--tick", type=float, default=15, help="Seconds between checks (default 15).")
        parser.add_argument("--list", action="store_true", help="Show the jobs and when they run next, then exit.")
        parser.add_argument("--job", action="append", default=None, help="Only this job (repeatable).")

    def handle(self, *args, once: bool, tick: float, list: bool, job, **options):
        names = {item.name for item in schedule.jobs()}
        unknown = set(job or ()) - names
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}")
        if list:
            for row in schedule.status():
                last = row["last_enqueued_at"].isoformat(timespec="seconds") if row["last_enqueued_at"] else "never"
                self.stdout.write(
                    f"{row['name']:<28} every {row['every']}  last {last}  "
                    f"next {row['next_due'].isoformat(timespec='seconds')}  runs {row['runs']}"
                )
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        only = set(job) if job else None
        while not stopping:
            for name in schedule.enqueue_due(only=only):
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(tick)

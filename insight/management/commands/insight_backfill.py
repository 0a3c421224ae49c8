"""Analyse every existing post, idea, comment and chat line, then rebuild the daily figures."""

import time

from django.core.management.base import BaseCommand

from insight import services


class Command(BaseCommand):
    help = "Analyses existing member texts (members who objected or restricted processing are left out)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        verbosity = options["verbosity"]

        def progress(kind, done, total):
            if verbosity > 1:
                self.stdout.write(f"{kind}: {done}/{total}")

        result = services.backfill(progress=progress)
        for key, count in result.items():
            self.stdout.write(f"{key}\t{count}")
        self.stdout.write(f"seconds\t{time.perf_counter() - started:.1f}")

"""Recompute the consent ledger: every leaf hash, chain link and signed checkpoint."""

import time

from django.core.management.base import BaseCommand, CommandError

from consent.ledger import checkpoint_now, verify


class Command(BaseCommand):
    help = (
        "Verify the consent ledger (RFC 6962 leaf hashes, chain links, Ed25519-signed checkpoints). "
        "Exits 1 and names the first bad index when an entry was edited, deleted, inserted, reordered or truncated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", action="store_true", help="sign a checkpoint of the head after a clean run")

    def handle(self, *args, checkpoint=False, **options):
        started = time.perf_counter()
        result = verify()
        seconds = time.perf_counter() - started
        if not result.ok:
            where = f"first bad index: {result.first_bad_index}; " if result.first_bad_index is not None else ""
            raise CommandError(f"consent ledger BROKEN: {where}{result.problem}")
        self.stdout.write(
            self.style.SUCCESS(
                f"consent ledger OK: {result.size} entries, {result.checkpoints} signed checkpoints, "
                f"root {result.root or '(empty)'} ({seconds:.2f}s)"
            )
        )
        if checkpoint:
            signed = checkpoint_now()
            self.stdout.write(f"checkpoint signed at size {signed.tree_size}" if signed else "no new checkpoint needed")

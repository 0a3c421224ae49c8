"""Recompute the consent ledger: every leaf hash, chain link, stored proof, signed checkpoint and the head;
optionally against the checkpoints witnesses outside the database hold."""

import time

from django.core.management.base import BaseCommand, CommandError

from consent.ledger import checkpoint_now, verify
from consent.witness import WitnessError, witnessed_roots


class Command(BaseCommand):
    help = (
        "Verify the consent ledger (RFC 6962 leaf hashes, chain links, inclusion proofs, Ed25519-signed checkpoints "
        "and their consistency proofs, the head). Exits 1 and names the first bad index when an entry was edited, "
        "deleted, inserted, reordered or truncated. With --witness, the ledger must also extend every checkpoint "
        "in the witness's copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", action="store_true", help="sign a checkpoint of the head after a clean run")
        parser.add_argument(
            "--witness",
            action="append",
            default=[],
            metavar="FILE_OR_URL",
            help="a witness's copy of the signed checkpoints: the witness file, saved witness mails, "
            "or the public list's URL (repeatable)",
        )

    def handle(self, *args, checkpoint=False, witness=(), **options):
        witnessed: dict[int, str] = {}
        for source in witness:
            try:
                for size, root in witnessed_roots(source).items():
                    witnessed.setdefault(size, root)
            except WitnessError as exc:
                raise CommandError(f"witness copy unusable: {exc}") from exc
        started = time.perf_counter()
        result = verify(witnessed=witnessed)
        seconds = time.perf_counter() - started
        if not result.ok:
            where = f"first bad index: {result.first_bad_index}; " if result.first_bad_index is not None else ""
            raise CommandError(f"consent ledger BROKEN: {where}{result.problem}")
        witnessed_text = f", {result.witnessed} witnessed checkpoints match" if witness else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"consent ledger OK: {result.size} entries, {result.checkpoints} signed checkpoints{witnessed_text}, "
                f"root {result.root or '(empty)'} ({seconds:.2f}s)"
            )
        )
        if checkpoint:
            signed = checkpoint_now()
            self.stdout.write(f"checkpoint signed at size {signed.tree_size}" if signed else "no new checkpoint needed")

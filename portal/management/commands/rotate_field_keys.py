"""Re-seal every encrypted value under the current FIELD_ENCRYPTION_KEY version (portal.key_rotation)."""

from django.core.management.base import BaseCommand, CommandError

from portal import field_crypto, key_rotation


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (e-mail addresses, names, chat lines, intake authors, CRM credentials, "
        "webhook secrets, mailbox passwords, wrapped member keys) under the highest FIELD_ENCRYPTION_KEY version, "
        "in batches, while the portal runs. --check only counts what is left under older versions (exit status 1 "
        "when anything is). --blind-indexes also recomputes the blind indexes after BLIND_INDEX_KEY changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only report how many values older versions hold.")
        parser.add_argument("--batch-size", type=int, default=key_rotation.BATCH_SIZE)
        parser.add_argument(
            "--blind-indexes",
            action="store_true",
            help="Recompute every blind index under the current BLIND_INDEX_KEY (after changing that key).",
        )

    def handle(self, *args, check=False, batch_size=key_rotation.BATCH_SIZE, blind_indexes=False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        version = field_crypto.current_version()
        left = 0
        for column in key_rotation.sealed_columns():
            if check:
                count = key_rotation.remaining(column, batch_size=batch_size)
                left += count
                self.stdout.write(f"{column.label}: {count} under older key versions")
            else:
                count = key_rotation.rotate(column, batch_size=batch_size)
                self.stdout.write(f"{column.label}: {count} re-encrypted under version {version}")
        if blind_indexes and not check:
            for model in key_rotation.blind_index_models():
                count = key_rotation.blind_indexes_recompute(model, batch_size=batch_size)
                self.stdout.write(f"{model._meta.label}: {count} blind indexes recomputed")
        if check:
            self.stdout.write(f"{left} values left under key versions older than {version}")
            if left:
                raise SystemExit(1)

"""Print fresh production keys as environment variables."""

from django.core.management.base import BaseCommand

from portal.keys import production_values


class Command(BaseCommand):
    help = (
        "Print new production keys (SECRET_KEY, PSEUDONYM_KEYS, RECEIPT_SIGNING_KEY, FIELD_ENCRYPTION_KEY, "
        "BLIND_INDEX_KEY)."
    )

    def handle(self, *args, **options):
        for name, value in production_values().items():
            self.stdout.write(f"{name}={value}")

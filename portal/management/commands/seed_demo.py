"""Load demo content for every app (idempotent) and print the demo logins."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string, module_has_submodule


class Command(BaseCommand):
    help = "Create demo content (brand, home page, one account per role, and each app's content). Safe to run again."

    def handle(self, *args, **options):
        logins: list[str] = []
        for config in apps.get_app_configs():
            if not module_has_submodule(config.module, "demo"):
                continue
            seed = import_string(f"{config.name}.demo.seed")
            lines = seed(stdout=self.stdout) or []
            logins.extend(lines)
            self.stdout.write(f"seeded {config.label}")
        self.stdout.write(self.style.SUCCESS("\nDemo logins (role, e-mail, password):"))
        for line in logins:
            self.stdout.write("  " + line)

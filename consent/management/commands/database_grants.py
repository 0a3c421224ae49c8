"""Give the application's PostgreSQL role the grants it needs, and no power over the consent ledger."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from consent.database_roles import grant_statements, grants_apply


class Command(BaseCommand):
    help = (
        "Run as the owner role after every migrate (PostgreSQL): the application role gets SELECT/INSERT/UPDATE/"
        "DELETE on the portal's tables and SELECT/INSERT only on the consent ledger and its checkpoints. "
        "--print shows the SQL instead of running it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="the role web, worker and scheduler connect as")
        parser.add_argument(
            "--owner-role", default="", help="the role that runs migrations and owns the tables (default: you)"
        )
        parser.add_argument("--print", action="store_true", dest="print_only", help="print the SQL, change nothing")

    def handle(self, *args, app_role, owner_role, print_only, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter; SQLite has none.")
        if not owner_role:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_user")
                owner_role = cursor.fetchone()[0]
        if owner_role == app_role:
            raise CommandError("The application role must not be the owner role.")
        if print_only:
            for statement in grant_statements(app_role=app_role, owner_role=owner_role):
                self.stdout.write(f"{statement};")
            return
        grants_apply(app_role=app_role, owner_role=owner_role)
        self.stdout.write(self.style.SUCCESS(f"granted {app_role} the application's privileges (owner: {owner_role})"))

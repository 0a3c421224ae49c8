"""Deploy checks of the privacy core: the application must not hold power over the ledger, and checkpoints
must leave the database."""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError, connection

from consent.database_roles import ledger_privileges
from consent.witness import configured

ROLES_HINT = (
    "Run migrations as a separate owner role and connect web, worker and scheduler as a role that owns nothing, "
    "with the grants of `manage.py database_grants --app-role <role>` (README: Database roles)."
)


@checks.register(checks.Tags.security, deploy=True)
def ledger_role_check(app_configs=None, **kwargs):
    if connection.vendor != "postgresql":
        return []
    try:
        privileges = ledger_privileges()
    except DatabaseError as exc:
        return [checks.Warning(f"Could not inspect the consent ledger's privileges: {exc}", id="consent.W003")]
    if any(row.superuser for row in privileges):
        return [
            checks.Warning(
                "The application connects to the database as a superuser: it can switch off the append-only "
                "triggers and rewrite or truncate the consent ledger.",
                hint=ROLES_HINT,
                id="consent.W001",
            )
        ]
    found = []
    for row in privileges:
        if row.owner:
            found.append(
                checks.Warning(
                    f"The application's database role owns {row.table}: it can disable its append-only "
                    "triggers (ALTER TABLE) and rewrite or truncate it.",
                    hint=ROLES_HINT,
                    id="consent.W001",
                )
            )
        elif row.update or row.delete or row.truncate:
            found.append(
                checks.Warning(
                    f"The application's database role may UPDATE, DELETE or TRUNCATE {row.table}.",
                    hint=ROLES_HINT,
                    id="consent.W002",
                )
            )
    return found


@checks.register(checks.Tags.security, deploy=True)
def ledger_witness_check(app_configs=None, **kwargs):
    if configured():
        return []
    return [
        checks.Warning(
            "No witness outside the database receives the signed ledger checkpoints.",
            hint="Set CONSENT_WITNESS_FILE (on another volume), CONSENT_WITNESS_EMAIL and/or CONSENT_WITNESS_URL.",
            id="consent.W004",
        )
    ]

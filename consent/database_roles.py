"""The database roles a PostgreSQL deployment runs with: an owner role for migrations, an application role.

The application role (web, worker, scheduler) owns no table, so it can neither ALTER a table (no
``DISABLE TRIGGER``) nor drop one; it holds SELECT/INSERT/UPDATE/DELETE on the tables it works with,
and only SELECT/INSERT on the ledger and its checkpoints: no UPDATE, DELETE or TRUNCATE there. The
triggers of the consent migrations refuse the same to every role but a superuser, as a second line.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

LEDGER_TABLES = ("consent_consentevent", "consent_ledgercheckpoint")


def _name(role: str) -> str:
    return connection.ops.quote_name(role)


def grant_statements(*, app_role: str, owner_role: str) -> list[str]:
    """The GRANTs (run as the owner after every ``migrate``) that give the application role what it needs."""
    app, owner = _name(app_role), _name(owner_role)
    ledger = ", ".join(LEDGER_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"REVOKE CREATE ON SCHEMA public FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {ledger} FROM {app}, PUBLIC",
        # Tables later migrations create are usable at once; the ledger tables above stay as they are.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


def grants_apply(*, app_role: str, owner_role: str) -> list[str]:
    """Run the statements on the default connection (as the owner); returns them."""
    statements = grant_statements(app_role=app_role, owner_role=owner_role)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


@dataclass(frozen=True)
class LedgerPrivileges:
    """What the connected role may do to one ledger table."""

    table: str
    owner: bool
    superuser: bool
    update: bool
    delete: bool
    truncate: bool


def ledger_privileges() -> list[LedgerPrivileges]:
    """The connected role's powers over the ledger tables (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_userbyid(c.relowner) = current_user, r.rolsuper,
                   has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'),
                   has_table_privilege(c.oid, 'TRUNCATE')
            FROM pg_class c JOIN pg_roles r ON r.rolname = current_user
            WHERE c.relname = ANY(%s) AND c.relkind = 'r' AND pg_table_is_visible(c.oid)
            ORDER BY c.relname
            """,
            [list(LEDGER_TABLES)],
        )
        return [LedgerPrivileges(*row) for row in cursor.fetchall()]

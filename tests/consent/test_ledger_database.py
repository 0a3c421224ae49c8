"""The ledger is protected at the database: TRUNCATE triggers, append-only checkpoints, and (PostgreSQL) an
application role that owns nothing and holds no power over the ledger; ``check --deploy`` says when it does."""

from __future__ import annotations

import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from consent.checks import ledger_role_check, ledger_witness_check
from consent.database_roles import LEDGER_TABLES
from consent.ledger import verify
from consent.models import ConsentEvent, LedgerCheckpoint

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles and triggers are PostgreSQL's (run with DATABASE_URL)"
)
ATTACKS = [
    *(f"TRUNCATE {table}" for table in LEDGER_TABLES),
    *(f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in LEDGER_TABLES),
    "ALTER TABLE consent_consentevent DISABLE TRIGGER ALL",
    "UPDATE consent_consentevent SET state = 'withdrawn'",
    "DELETE FROM consent_consentevent",
    "UPDATE consent_ledgercheckpoint SET root_hash = repeat('0', 64)",
    "DELETE FROM consent_ledgercheckpoint",
    "DROP TABLE consent_consentevent",
    "SET session_replication_role = replica",
]


def _ids(ids: list[str]) -> list[str]:
    return [check.id for check in ids]


@pytest.fixture
def app_role():
    """A login role created for this test only (roles are shared by every database of the server)."""
    name, password = f"portal_app_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", [password])
    yield name, password
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {name}")
        cursor.execute(f"DROP ROLE {name}")


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_the_application_role_can_append_but_not_truncate_disable_triggers_update_or_delete(
    app_role, build_ledger, settings
):
    """Connected as the application role after ``database_grants``: every attack on the ledger is refused,
    while appending (lock the head, insert an entry and a checkpoint) works."""
    import psycopg

    settings.CONSENT_CHECKPOINT_EVERY = 2
    build_ledger(2)
    name, password = app_role
    call_command("database_grants", app_role=name)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=name,
        password=password,
        autocommit=True,
    ) as app:
        refused = []
        for statement in ATTACKS:
            try:
                app.execute(statement)
            except psycopg.errors.InsufficientPrivilege:
                refused.append(statement)
        assert refused == ATTACKS
        with app.transaction(force_rollback=True):
            assert app.execute("SELECT size FROM consent_ledgerhead WHERE id = 1 FOR UPDATE").fetchone() == (2,)
            app.execute(
                "INSERT INTO consent_consentevent (index, record_id, subject, purpose_code, kind, state, created_at, "
                "payload, leaf_hash, proof) VALUES (2, gen_random_uuid(), 's', 'analytics', 'grant', 'granted', now(), "
                "'{}', 'x', '')"
            )
            app.execute(
                "INSERT INTO consent_ledgercheckpoint (tree_size, root_hash, created_at, signature, frontier, "
                "consistency) VALUES (3, 'x', now(), 'x', '[]', '')"
            )
        assert app.execute("SELECT count(*) FROM consent_consentevent").fetchone() == (2,)
    assert ConsentEvent.objects.count() == 2
    assert LedgerCheckpoint.objects.count() == 2
    assert verify().ok


@POSTGRES_ONLY
@pytest.mark.django_db
def test_truncate_is_refused_even_to_a_role_granted_it(build_ledger):
    """The statement-level triggers refuse TRUNCATE to every role but a superuser (who can switch triggers off)."""
    build_ledger(1)
    name = f"portal_owner_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name}")  # rolled back with the test
        cursor.execute(f"GRANT TRUNCATE ON {', '.join(LEDGER_TABLES)} TO {name}")
    for table in LEDGER_TABLES:
        with pytest.raises(DatabaseError, match=f"{table} is append-only: TRUNCATE refused"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL ROLE {name}")
                cursor.execute(f"TRUNCATE {table}")
    assert (ConsentEvent.objects.count(), LedgerCheckpoint.objects.count()) == (1, 1)


@POSTGRES_ONLY
@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_of_checkpoints(build_ledger):
    build_ledger(1)
    for statement in (
        "UPDATE consent_ledgercheckpoint SET root_hash = repeat('0', 64)",
        "DELETE FROM consent_ledgercheckpoint",
    ):
        with pytest.raises(DatabaseError, match="consent_ledgercheckpoint is append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert LedgerCheckpoint.objects.count() == 1
    assert verify().ok


@POSTGRES_ONLY
@pytest.mark.django_db
def test_check_deploy_warns_while_the_application_role_owns_or_may_rewrite_the_ledger():
    """As the superuser the tests run as: W001. As an owner of the ledger: W001. As the granted role: nothing;
    given UPDATE on the ledger: W002."""
    assert _ids(ledger_role_check()) == ["consent.W001"]
    app, owner = f"portal_app_{secrets.token_hex(4)}", f"portal_owner_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {app}")  # rolled back with the test
        cursor.execute(f"CREATE ROLE {owner}")
    call_command("database_grants", app_role=app)

    def as_role(role: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {role}")
            try:
                return _ids(ledger_role_check())
            finally:
                cursor.execute("RESET ROLE")

    assert as_role(app) == []
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT UPDATE ON consent_consentevent TO {app}")
    assert as_role(app) == ["consent.W002"]
    with connection.cursor() as cursor:
        for table in LEDGER_TABLES:
            cursor.execute(f"ALTER TABLE {table} OWNER TO {owner}")
    assert as_role(owner) == ["consent.W001", "consent.W001"]


@POSTGRES_ONLY
@pytest.mark.django_db
def test_database_grants_prints_the_sql_for_any_postgresql(capsys):
    call_command("database_grants", app_role="portal_app", owner_role="portal_owner", print_only=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "portal_app";'
    assert lines[4] == (
        "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON consent_consentevent, consent_ledgercheckpoint "
        'FROM "portal_app", PUBLIC;'
    )
    assert len(lines) == 7


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no database roles")
@pytest.mark.django_db
def test_database_grants_and_the_role_check_are_postgresql_matters():
    assert ledger_role_check() == []
    with pytest.raises(CommandError, match="PostgreSQL matter"):
        call_command("database_grants", app_role="portal_app")


def test_check_deploy_warns_when_no_witness_takes_the_checkpoints(settings, tmp_path):
    settings.CONSENT_WITNESS_FILE, settings.CONSENT_WITNESS_EMAIL, settings.CONSENT_WITNESS_URL = "", "", ""
    assert _ids(ledger_witness_check()) == ["consent.W004"]
    settings.CONSENT_WITNESS_EMAIL = "dpo@example.com"
    assert ledger_witness_check() == []
    settings.CONSENT_WITNESS_EMAIL, settings.CONSENT_WITNESS_FILE = "", str(tmp_path / "witness.jsonl")
    assert ledger_witness_check() == []

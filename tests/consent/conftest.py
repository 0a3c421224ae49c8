"""Fixtures of the privacy-core tests: a ledger built through the services, raw access as an attacker."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation

from consent import services
from portal.roles import Role
from tests.factories import make_member

TABLE = "consent_consentevent"
CHECKPOINTS = "consent_ledgercheckpoint"


@pytest.fixture
def build_ledger(db):
    """Append ``n`` real events (grants and withdrawals of two members) through the services."""

    def build(n: int) -> list:
        members = [make_member(role=Role.CUSTOMER), make_member(role=Role.CUSTOMER)]
        events = []
        for i in range(n):
            member = members[i % 2]
            granted = (i // 2) % 2 == 0
            events.append(services.consent_set(user=member, purpose="analytics", granted=granted))
        return events

    return build


class Attacker:
    """Someone with write access to the database, past the ORM guard and the PostgreSQL trigger."""

    def __init__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
                cursor.execute(f"ALTER TABLE {CHECKPOINTS} DISABLE TRIGGER USER")

    def sql(self, statement: str, params=()):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def row(self, index: int) -> dict:
        columns = ["payload", "leaf_hash", "subject", "purpose_code", "kind", "state"]
        values = self.sql(
            f"SELECT {', '.join(columns)} FROM {TABLE} WHERE {connection.ops.quote_name('index')} = %s", [index]
        )
        return dict(zip(columns, values[0], strict=True))

    def set(self, index: int, column: str, value: str):
        self.sql(f"UPDATE {TABLE} SET {column} = %s WHERE {connection.ops.quote_name('index')} = %s", [value, index])

    def move(self, old: int, new: int):
        self.sql(
            f"UPDATE {TABLE} SET {connection.ops.quote_name('index')} = %s WHERE {connection.ops.quote_name('index')} = %s",
            [new, old],
        )

    def set_checkpoint(self, tree_size: int, column: str, value: str):
        self.sql(f"UPDATE {CHECKPOINTS} SET {column} = %s WHERE tree_size = %s", [value, tree_size])

    def delete_checkpoints_from(self, tree_size: int):
        self.sql(f"DELETE FROM {CHECKPOINTS} WHERE tree_size >= %s", [tree_size])

    def delete_from(self, index: int, *, only: bool = False):
        op = "=" if only else ">="
        self.sql(f"DELETE FROM {TABLE} WHERE {connection.ops.quote_name('index')} {op} %s", [index])


@pytest.fixture
def attacker(db):
    return Attacker()


@pytest.fixture
def customer_with_history(customer):
    services.consent_grant(user=customer, purpose="analytics")
    services.consent_grant(user=customer, purpose="crm_followup")
    services.consent_withdraw(user=customer, purpose="crm_followup")
    return customer


@pytest.fixture(autouse=True)
def _language_reset():
    """A German page request leaves German active in the thread; the next test starts in the default language."""
    yield
    translation.deactivate()

"""The consent ledger is append-only and tamper-evident: verification names the first bad index."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from consent import merkle
from consent.ledger import canonical, checkpoint_now, verify
from consent.models import ConsentEvent, LedgerCheckpoint, LedgerHead
from consent.subjects import subject_for

pytestmark = pytest.mark.django_db
N = 12
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def ledger12(build_ledger, settings):
    settings.CONSENT_CHECKPOINT_EVERY = 4
    build_ledger(N)
    result = verify()
    assert result.ok, result.problem
    assert (result.size, result.checkpoints) == (N, 4)  # checkpoints at sizes 1, 4, 8 and 12
    return result


def tampered(action):
    """Apply an attack in a savepoint, verify, and roll the attack back for the next example."""
    with transaction.atomic():
        action()
        result = verify()
        transaction.set_rollback(True)
    return result


def test_appends_are_gap_free_and_chained(build_ledger):
    """Indexes run 0..n-1, each entry names its predecessor's leaf hash, the head holds the root."""
    build_ledger(7)
    events = list(ConsentEvent.objects.order_by("index"))
    assert [e.index for e in events] == list(range(7))
    prev = ""
    for event in events:
        entry = json.loads(event.payload)
        assert entry["index"] == event.index
        assert entry["prev"] == prev
        assert event.leaf_hash == merkle.leaf_hash(event.payload.encode()).hex()
        prev = event.leaf_hash
    head = LedgerHead.objects.get(pk=1)
    assert (head.size, head.last_leaf_hash) == (7, prev)
    leaves = [bytes.fromhex(e.leaf_hash) for e in events]
    assert merkle.frontier_root([bytes.fromhex(h) for h in head.frontier]) == merkle.root_of(leaves)
    assert verify().root == merkle.root_of(leaves).hex()


def test_entries_carry_the_consent_record_fields(customer):
    from consent import services

    services.consent_grant(user=customer, purpose="analytics", language="de", ip="192.0.2.7", user_agent="Firefox")
    entry = json.loads(ConsentEvent.objects.get().payload)
    assert set(entry) == {
        "schema",
        "index",
        "prev",
        "record_id",
        "subject",
        "purpose",
        "kind",
        "state",
        "time",
        "notice_version",
        "notice_hash",
        "language",
        "method",
        "jurisdiction",
        "controller",
        "evidence",
    }
    assert (entry["purpose"], entry["kind"], entry["state"], entry["language"], entry["method"]) == (
        "analytics",
        "grant",
        "granted",
        "de",
        "web",
    )
    assert entry["notice_version"] == 1 and len(entry["notice_hash"]) == 64
    assert "192.0.2.7" not in json.dumps(entry) and "Firefox" not in json.dumps(entry)
    assert len(entry["evidence"]["ip"]) == 32 and entry["evidence"]["user_agent"]
    assert entry["subject"] == subject_for(customer).ref  # an HMAC under the member's own key, no identifier
    assert customer.email not in json.dumps(entry) and customer.handle not in json.dumps(entry)


def test_the_orm_refuses_update_and_delete(build_ledger):
    build_ledger(2)
    event = ConsentEvent.objects.get(index=0)
    event.state = "withdrawn"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(index=0).update(state="withdrawn")
    with pytest.raises(PermissionError):
        ConsentEvent.objects.all().delete()
    assert ConsentEvent.objects.get(index=0).state == "granted"
    assert ConsentEvent.objects.count() == 2


def test_the_database_refuses_raw_update_and_delete_on_postgresql(build_ledger):
    """On PostgreSQL a trigger refuses raw UPDATE/DELETE; SQLite (development) relies on the ORM guard."""
    build_ledger(2)
    if connection.vendor != "postgresql":
        with pytest.raises(PermissionError):
            ConsentEvent.objects.filter(index=1).delete()
        return
    for statement in (
        "UPDATE consent_consentevent SET state = 'withdrawn' WHERE index = 0",
        "DELETE FROM consent_consentevent WHERE index = 1",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ConsentEvent.objects.count() == 2
    assert ConsentEvent.objects.get(index=0).state == "granted"


@PROPERTY
@given(
    index=st.integers(0, N - 1),
    column=st.sampled_from(["payload", "leaf_hash", "subject", "purpose_code", "kind", "state"]),
    position=st.integers(0, 10_000),
    char=st.sampled_from('0aZ{" 9f'),
)
def test_editing_any_byte_names_its_index(ledger12, attacker, index, column, position, char):
    value = attacker.row(index)[column]
    position %= len(value)
    forged = value[:position] + char + value[position + 1 :]
    assume(forged != value)
    result = tampered(lambda: attacker.set(index, column, forged))
    assert not result.ok
    assert result.first_bad_index == index, result.problem


@PROPERTY
@given(index=st.integers(0, N - 1))
def test_rewriting_an_entry_with_a_fresh_leaf_hash_names_its_index(ledger12, attacker, index):
    """The attacker rehashes the rewritten entry; the chain (and the signed roots) still give it away."""
    row = attacker.row(index)
    entry = json.loads(row["payload"])
    entry["state"] = "withdrawn" if entry["state"] == "granted" else "granted"
    payload = canonical(entry)

    def attack():
        attacker.set(index, "payload", payload)
        attacker.set(index, "state", entry["state"])
        attacker.set(index, "leaf_hash", merkle.leaf_hash(payload.encode()).hex())

    result = tampered(attack)
    assert result.first_bad_index == index, result.problem


@PROPERTY
@given(index=st.integers(0, N - 1))
def test_deleting_a_row_names_its_index(ledger12, attacker, index):
    result = tampered(lambda: attacker.delete_from(index, only=True))
    assert result.first_bad_index == index, result.problem


@PROPERTY
@given(keep=st.integers(0, N - 1))
def test_truncating_the_log_names_the_first_missing_index(ledger12, attacker, keep):
    result = tampered(lambda: attacker.delete_from(keep))
    assert result.first_bad_index == keep, result.problem
    assert "truncated" in result.problem or "head" in result.problem


@PROPERTY
@given(first=st.integers(0, N - 1), second=st.integers(0, N - 1))
def test_reordering_two_rows_names_the_first(ledger12, attacker, first, second):
    assume(first != second)

    def attack():
        attacker.move(first, -1)
        attacker.move(second, first)
        attacker.move(-1, second)

    result = tampered(attack)
    assert result.first_bad_index == min(first, second), result.problem


@PROPERTY
@given(index=st.integers(0, N))
def test_inserting_a_well_formed_forged_entry_names_its_index(ledger12, attacker, index):
    """The forged entry links correctly to its predecessor and hashes correctly; its successor exposes it."""
    prev = attacker.row(index - 1)["leaf_hash"] if index else ""
    now = timezone.now()
    record_id = str(uuid.uuid4())
    entry = json.loads(attacker.row(0)["payload"])
    entry.update({"index": index, "prev": prev, "record_id": record_id, "time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    payload = canonical(entry)

    def attack():
        for old in range(N - 1, index - 1, -1):
            attacker.move(old, old + 1)
        ConsentEvent(
            index=index,
            record_id=record_id,
            subject=entry["subject"],
            purpose_code=entry["purpose"],
            kind=entry["kind"],
            state=entry["state"],
            created_at=now,
            payload=payload,
            leaf_hash=merkle.leaf_hash(payload.encode()).hex(),
        ).save()

    result = tampered(attack)
    assert result.first_bad_index == index, result.problem


def test_a_forged_checkpoint_is_refused(ledger12, attacker):
    checkpoint = LedgerCheckpoint.objects.order_by("tree_size").last()
    with transaction.atomic():
        attacker.set_checkpoint(checkpoint.tree_size, "root_hash", "00" * 32)
        result = verify()
        assert not result.ok and "signed statement" in result.problem
        transaction.set_rollback(True)
    parts = checkpoint.signature.split(".")
    with transaction.atomic():
        attacker.set_checkpoint(checkpoint.tree_size, "signature", ".".join(parts[:2] + ["A" * 86]))
        result = verify()
        assert not result.ok and "bad signature" in result.problem
        transaction.set_rollback(True)
    assert verify().ok


def test_checkpoint_now_signs_the_head_once(build_ledger, settings):
    settings.CONSENT_CHECKPOINT_EVERY = 1000
    build_ledger(3)
    signed = checkpoint_now()
    assert signed.tree_size == 3
    assert checkpoint_now() is None
    assert LedgerCheckpoint.objects.filter(tree_size=3).count() == 1


def test_consent_verify_command_reports_ok_and_the_first_bad_index(ledger12, attacker, capsys):
    call_command("consent_verify")
    assert f"consent ledger OK: {N} entries, 4 signed checkpoints" in capsys.readouterr().out
    attacker.set(5, "kind", "withdraw" if attacker.row(5)["kind"] == "grant" else "grant")
    with pytest.raises(CommandError, match="first bad index: 5"):
        call_command("consent_verify")

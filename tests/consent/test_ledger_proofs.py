"""The complete verifier: stored proofs, the checkpoint chain (RFC 6962 consistency proofs), the head and the
tail after the last checkpoint; every attack goes through plain SQL behind the application's back."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from consent import merkle
from consent.ledger import checkpoint_now, verify
from consent.models import ConsentEvent, LedgerCheckpoint, LedgerHead
from tests.consent.ledger_attacks import rewrite, tampered

pytestmark = pytest.mark.django_db
N = 14
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def ledger14(build_ledger, settings):
    """14 entries, checkpoints at sizes 1, 4, 8 and 12: entries 12 and 13 are the tail after the last one."""
    settings.CONSENT_CHECKPOINT_EVERY = 4
    build_ledger(N)
    result = verify()
    assert (result.ok, result.size, result.checkpoints) == (True, N, 4), result.problem
    return result


@PROPERTY
@given(n=st.integers(1, 80), data=st.data())
def test_a_checkpoint_proof_from_the_frontier_verifies_and_a_changed_byte_does_not(n, data):
    """The consistency proof built from the old frontier and the new leaves is RFC 6962's; any flipped byte fails."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
    m = data.draw(st.integers(1, n))
    frontier: list[bytes] = []
    for i in range(m):
        frontier = merkle.frontier_append(frontier, i, leaves[i])
    proof = merkle.consistency_proof(m, frontier, leaves[m:])
    old_root, new_root = merkle.root_of(leaves[:m]), merkle.root_of(leaves)
    merkle.verify_consistency(m, n, old_root, new_root, proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) * 32 - 1))
        broken = [bytearray(h) for h in proof]
        broken[at // 32][at % 32] ^= 1
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(m, n, old_root, new_root, [bytes(h) for h in broken])


def test_every_checkpoint_carries_its_frontier_and_a_proof_from_the_one_before(ledger14):
    """Checkpoints at 1, 4, 8, 12: each frontier is the tree's, each proof verifies against the signed roots."""
    rows = list(LedgerCheckpoint.objects.order_by("tree_size"))
    assert [c.tree_size for c in rows] == [1, 4, 8, 12]
    assert rows[0].consistency == ""
    leaves = [bytes.fromhex(h) for h in ConsentEvent.objects.order_by("index").values_list("leaf_hash", flat=True)]
    for before, after in zip(rows, rows[1:], strict=False):
        proof = [bytes.fromhex(h) for h in after.consistency.split()]
        merkle.verify_consistency(
            before.tree_size, after.tree_size, bytes.fromhex(before.root_hash), bytes.fromhex(after.root_hash), proof
        )
    for row in rows:
        frontier: list[bytes] = []
        for i in range(row.tree_size):
            frontier = merkle.frontier_append(frontier, i, leaves[i])
        assert row.frontier == [h.hex() for h in frontier]


def _leaves() -> list[bytes]:
    return [bytes.fromhex(h) for h in ConsentEvent.objects.order_by("index").values_list("leaf_hash", flat=True)]


def test_the_orm_refuses_to_change_or_delete_a_checkpoint(ledger14):
    """Checkpoints are append-only like the ledger: no save of a stored row, no delete, no bulk update."""
    checkpoint = LedgerCheckpoint.objects.get(tree_size=4)
    checkpoint.root_hash = "00" * 32
    with pytest.raises(PermissionError):
        checkpoint.save()
    with pytest.raises(PermissionError):
        checkpoint.delete()
    with pytest.raises(PermissionError):
        LedgerCheckpoint.objects.filter(tree_size=4).update(root_hash="00" * 32)
    with pytest.raises(PermissionError):
        LedgerCheckpoint.objects.all().delete()
    assert LedgerCheckpoint.objects.get(tree_size=4).root_hash == merkle.root_of(_leaves()[:4]).hex()
    assert LedgerCheckpoint.objects.count() == 4


@PROPERTY
@given(index=st.integers(0, N - 1), position=st.integers(0, 10_000), char=st.sampled_from("0af9 "))
def test_a_changed_byte_in_a_stored_proof_names_its_index(ledger14, attacker, index, position, char):
    q = connection.ops.quote_name
    proof = attacker.sql(f"SELECT proof FROM consent_consentevent WHERE {q('index')} = %s", [index])[0][0]
    assume(proof)  # entry 0 enters the empty tree: its proof is empty
    position %= len(proof)
    forged = proof[:position] + char + proof[position + 1 :]
    assume(forged != proof)
    result = tampered(lambda: attacker.set(index, "proof", forged))
    assert (result.ok, result.first_bad_index) == (False, index), result.problem
    assert "inclusion proof" in result.problem


def test_a_proof_given_to_entry_zero_is_caught(ledger14, attacker):
    result = tampered(lambda: attacker.set(0, "proof", "00" * 32))
    assert (result.first_bad_index, result.problem) == (
        0,
        "entry 0: its stored inclusion proof is not the path in its tree",
    )


@pytest.mark.parametrize("cut", [12, 13])
def test_cutting_the_tail_after_the_last_checkpoint_with_the_head_names_the_cut(ledger14, attacker, cut):
    """The head agrees with the shortened log, but the members' current consents still name the lost entries."""
    result = tampered(lambda: rewrite(attacker, cut=cut))
    assert (result.ok, result.first_bad_index) == (False, cut), result.problem
    assert result.problem == f"the log was cut: a member's current consent names entry {cut}, {cut} entries remain"


@pytest.mark.parametrize("index", [12, 13])
def test_rewriting_the_newest_entry_of_the_tail_with_every_hash_recomputed_names_it(ledger14, attacker, index):
    """A withdrawal turned into a grant (or back) with every hash, link, proof and the head recomputed."""
    state = json.loads(attacker.row(index)["payload"])["state"]
    flipped = {"state": "granted" if state == "withdrawn" else "withdrawn"}
    flipped["kind"] = "grant" if flipped["state"] == "granted" else "withdraw"
    result = tampered(lambda: rewrite(attacker, edits={index: flipped}))
    assert (result.ok, result.first_bad_index) == (False, index), result.problem
    assert result.problem.startswith(f"entry {index}: a member's current consent names it as analytics {state}")


@PROPERTY
@given(keep=st.integers(1, 11))
def test_truncating_below_a_checkpoint_with_the_checkpoints_and_head_names_the_cut(ledger14, attacker, keep):
    """Checkpoint rows above the cut deleted too; the projection still names the lost entries."""

    def attack():
        rewrite(attacker, cut=keep)
        attacker.delete_checkpoints_from(keep + 1)

    result = tampered(attack)
    assert (result.ok, result.first_bad_index) == (False, keep), result.problem


def test_a_changed_consistency_proof_breaks_the_checkpoint_chain(ledger14, attacker):
    proof = LedgerCheckpoint.objects.get(tree_size=8).consistency
    forged = ("f" if proof[0] != "f" else "e") + proof[1:]
    result = tampered(lambda: attacker.set_checkpoint(8, "consistency", forged))
    assert not result.ok and result.first_bad_index is None
    assert result.problem.startswith("checkpoint at size 8: no valid consistency proof from the checkpoint at size 4")


def test_a_changed_checkpoint_frontier_is_caught(ledger14, attacker):
    result = tampered(lambda: attacker.set_checkpoint(12, "frontier", json.dumps(["00" * 32])))
    assert (result.ok, result.problem) == (False, "checkpoint at size 12: its stored frontier differs from the ledger")


def test_a_changed_head_frontier_names_the_last_entry(ledger14):
    with transaction.atomic():
        LedgerHead.objects.filter(pk=1).update(frontier=["00" * 32])
        result = verify()
        transaction.set_rollback(True)
    assert (result.first_bad_index, result.problem) == (
        N - 1,
        "the ledger head's Merkle frontier does not match the entries",
    )


def test_a_checkpoint_signed_later_extends_the_newest_one(ledger14):
    """``checkpoint_now`` (the scheduled job) proves its checkpoint consistent with the checkpoint at 12."""
    signed = checkpoint_now()
    assert signed.tree_size == N
    previous = LedgerCheckpoint.objects.get(tree_size=12)
    merkle.verify_consistency(
        12,
        N,
        bytes.fromhex(previous.root_hash),
        bytes.fromhex(signed.root_hash),
        [bytes.fromhex(h) for h in signed.consistency.split()],
    )
    assert verify().checkpoints == 5

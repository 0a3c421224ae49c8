"""Verification of the consent ledger: every entry, its stored proof, the checkpoint chain, the head, the
projection, and (optionally) the checkpoints witnesses outside the database hold.

An attacker with SQL access but without the signing key can rewrite rows and recompute every hash, chain
link, proof and the head. What gives such a rewrite away: a signed checkpoint whose root no longer matches
(below the newest checkpoint), a member's current consent that points at an entry that is gone or says
something else (the tail), and a witnessed checkpoint the ledger no longer extends (a truncation below a
checkpoint with the checkpoint rows deleted too).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction

from consent import merkle
from consent.models import ConsentEvent, LedgerCheckpoint, LedgerHead, MemberConsent


@dataclass
class Verification:
    """The outcome of recomputing the whole ledger."""

    size: int = 0
    checkpoints: int = 0
    witnessed: int = 0
    root: str = ""
    first_bad_index: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_index is None and not self.problem

    def fail(self, index: int | None, problem: str) -> Verification:
        self.first_bad_index = index
        self.problem = problem
        return self


_VERIFIED_COLUMNS = (
    "index",
    "payload",
    "leaf_hash",
    "record_id",
    "subject",
    "purpose_code",
    "kind",
    "state",
    "created_at",
    "proof",
)


def _raw_rows(chunk_size: int):
    """Stored rows without ORM conversions (verification reads every row; conversions would dominate), streamed."""
    table = connection.ops.quote_name(ConsentEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _VERIFIED_COLUMNS)
    with transaction.atomic(), connection.chunked_cursor() as cursor:  # a server-side cursor on PostgreSQL
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {connection.ops.quote_name('index')}")  # noqa: S608
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _uuid_text(value) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def _time_text(value) -> str:
    """The stored time in the entry's format; SQLite hands back naive UTC datetimes (or text)."""
    from consent.ledger import iso_utc

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return iso_utc(value)


def _hashes(text: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in text.split()]


def _chain_problem(checkpoints: list[LedgerCheckpoint]) -> str:
    """Each checkpoint's RFC 6962 consistency proof from the one before (the first carries none)."""
    previous = None
    for checkpoint in checkpoints:
        try:
            proof = _hashes(checkpoint.consistency)
            if previous is None:
                if proof:
                    return f"checkpoint at size {checkpoint.tree_size}: the first checkpoint carries a proof"
            else:
                merkle.verify_consistency(
                    previous.tree_size,
                    checkpoint.tree_size,
                    bytes.fromhex(previous.root_hash),
                    bytes.fromhex(checkpoint.root_hash),
                    proof,
                )
        except (ValueError, merkle.ProofError) as exc:
            return (
                f"checkpoint at size {checkpoint.tree_size}: no valid consistency proof from the checkpoint "
                f"at size {previous.tree_size if previous else 0} ({exc})"
            )
        previous = checkpoint
    return ""


def verify_ledger(*, chunk_size: int = 5000, witnessed: Mapping[int, str] | None = None) -> Verification:
    """Recompute every leaf, link, proof and checkpoint; name the first index that cannot be trusted.

    ``witnessed`` maps tree sizes to the root hashes a witness outside the database holds (their
    signatures already checked): the ledger must still extend each of them.
    """
    from consent.receipts import ReceiptError, verify_jws

    result = Verification()
    witnessed = dict(witnessed or {})
    checkpoints = list(LedgerCheckpoint.objects.order_by("tree_size"))
    for checkpoint in checkpoints:
        try:
            statement = verify_jws(checkpoint.signature)
        except ReceiptError as exc:
            return result.fail(None, f"checkpoint at size {checkpoint.tree_size}: bad signature ({exc})")
        if statement.get("tree_size") != checkpoint.tree_size or statement.get("root_hash") != checkpoint.root_hash:
            return result.fail(
                None, f"checkpoint at size {checkpoint.tree_size}: columns differ from the signed statement"
            )
    pending = {c.tree_size: c for c in checkpoints}
    # The projection names the newest entry of every member and purpose: a cut or rewritten tail shows there.
    current = {
        index: (purpose, state)
        for index, purpose, state in MemberConsent.objects.values_list("event_index", "purpose__code", "state")
    }
    last_good = 0
    # A root that differs from a signed checkpoint covers a range; a precise failure found later inside
    # that range (a broken link right after a rewritten entry) names the entry better.
    suspect: tuple[int, int, str] | None = None
    frontier_problem = ""
    witness_good = 0
    witness_bad: int | None = None

    def fail(index: int, problem: str) -> Verification:
        if suspect is not None and not (suspect[0] <= index < suspect[1]):
            return result.fail(suspect[0], suspect[2])
        return result.fail(index, problem)

    expected = 0
    prev = ""
    frontier: list[bytes] = []
    frontier_hex: list[str] = []
    # paths[k]: frontier_hex[:k] as stored-proof text (nearest peak first); the next entry's proof is paths[-1]
    paths = [""]
    for index, payload, stored_leaf, record_id, subject, purpose, kind, state, created_at, proof in _raw_rows(
        chunk_size
    ):
        if index != expected:
            what = "is missing" if index > expected else "appears twice"
            return fail(expected, f"entry {expected} {what} (next stored index is {index})")
        leaf = merkle.leaf_hash(payload.encode())
        if leaf.hex() != stored_leaf:
            return fail(index, f"entry {index}: its content does not match its leaf hash")
        try:
            data = json.loads(payload)
        except ValueError:
            return fail(index, f"entry {index}: not valid JSON")
        written = data.get("index")
        if written != index:
            # A shifted or swapped entry: the first untrustworthy position is the lower of the two.
            first = min(written, index) if isinstance(written, int) and written >= 0 else index
            return fail(first, f"entry {index}: stored at index {index} but written as {written}")
        if data.get("prev") != prev:
            return fail(
                max(index - 1, 0), f"entry {index} does not link to entry {index - 1}: one of them was rewritten"
            )
        if (
            subject != data.get("subject")
            or purpose != data.get("purpose")
            or kind != data.get("kind")
            or state != data.get("state")
            or _uuid_text(record_id) != str(data.get("record_id")).replace("-", "")
            or _time_text(created_at) != data.get("time")
        ):
            return fail(index, f"entry {index}: its columns differ from the hashed entry")
        if proof != paths[-1]:
            return fail(index, f"entry {index}: its stored inclusion proof is not the path in its tree")
        named = current.pop(index, None) if current else None
        if named is not None and named != (purpose, state):
            return fail(index, f"entry {index}: a member's current consent names it as {named[0]} {named[1]}")
        frontier = merkle.frontier_append(frontier, index, leaf)
        kept = len(frontier) - 1
        del frontier_hex[kept:]
        del paths[kept + 1 :]
        peak = frontier[-1].hex()
        frontier_hex.append(peak)
        paths.append(f"{peak} {paths[kept]}" if kept else peak)
        prev = stored_leaf
        expected += 1
        checkpoint = pending.pop(expected, None)
        if checkpoint is not None:
            if merkle.frontier_root(frontier).hex() != checkpoint.root_hash:
                if suspect is None:
                    suspect = (
                        last_good,
                        expected,
                        f"the root over entries {last_good}..{expected - 1} differs from the checkpoint signed "
                        f"at size {expected}",
                    )
            else:
                result.checkpoints += 1
                last_good = expected
                if checkpoint.frontier != frontier_hex and not frontier_problem:
                    frontier_problem = f"checkpoint at size {expected}: its stored frontier differs from the ledger"
        seen = witnessed.pop(expected, None) if witnessed else None
        if seen is not None:
            if merkle.frontier_root(frontier).hex() == seen:
                result.witnessed += 1
                witness_good = expected
            elif witness_bad is None:
                witness_bad = expected
    result.size = expected
    result.root = merkle.frontier_root(frontier).hex()
    if pending:
        largest = max(pending)
        return fail(
            expected, f"the log was truncated: a checkpoint was signed at size {largest}, {expected} entries remain"
        )
    head = LedgerHead.objects.filter(pk=1).first()
    if head is not None and head.size != expected:
        return fail(min(expected, head.size), f"the ledger head says {head.size} entries, {expected} are stored")
    if head is not None and head.last_leaf_hash != prev:
        return fail(max(expected - 1, 0), "the ledger head does not match the last entry")
    if head is not None and head.frontier != frontier_hex:
        return fail(max(expected - 1, 0), "the ledger head's Merkle frontier does not match the entries")
    if current:
        return fail(
            expected,
            f"the log was cut: a member's current consent names entry {min(current)}, {expected} entries remain",
        )
    if suspect is not None:
        return result.fail(suspect[0], suspect[2])
    if witness_bad is not None:
        return result.fail(
            witness_good,
            f"entries from {witness_good} on differ from what a witness saw: the root at size {witness_bad} "
            "is not the witnessed one",
        )
    if witnessed:
        return result.fail(
            expected,
            f"the log was truncated: a witness saw a checkpoint at size {max(witnessed)}, {expected} entries remain",
        )
    problem = _chain_problem(checkpoints) or frontier_problem
    if problem:
        return result.fail(None, problem)
    return result

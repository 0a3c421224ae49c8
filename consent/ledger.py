"""The append-only consent ledger: canonical entries, gap-free appends, signed checkpoints, verification.

Every entry is canonical JSON (sorted keys, no spaces, UTF-8) that names its own index and the leaf
hash of its predecessor; its RFC 6962 leaf hash is SHA-256(0x00 || entry). Appends take a row lock on
the single ``LedgerHead`` (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite serialises writers with
IMMEDIATE transactions), so indexes are gap-free under concurrent writers. The head carries the
Merkle frontier, so the root after each append and the newest entry's inclusion proof cost O(log n).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consent import merkle
from consent.models import ConsentEvent, LedgerCheckpoint, LedgerHead

SCHEMA_VERSION = 1


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_for(
    *,
    index: int,
    prev: str,
    record_id: str,
    subject: str,
    purpose: str,
    kind: str,
    state: str,
    time: datetime,
    notice_version: int,
    notice_hash: str,
    language: str,
    method: str,
    evidence: dict[str, str],
) -> str:
    """The canonical entry text (Kantara v1.1 / ISO/IEC TS 27560 record fields plus the chain link)."""
    return canonical(
        {
            "schema": SCHEMA_VERSION,
            "index": index,
            "prev": prev,
            "record_id": record_id,
            "subject": subject,
            "purpose": purpose,
            "kind": kind,
            "state": state,
            "time": iso_utc(time),
            "notice_version": notice_version,
            "notice_hash": notice_hash,
            "language": language,
            "method": method,
            "jurisdiction": settings.CONSENT_JURISDICTION,
            "controller": settings.CONSENT_CONTROLLER,
            "evidence": evidence,
        }
    )


@dataclass(frozen=True)
class Appended:
    """A stored entry with what its receipt needs: the tree it entered and its inclusion proof."""

    event: ConsentEvent
    tree_size: int
    root: bytes
    proof: list[bytes]


def _locked_head() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                LedgerHead.objects.create(pk=1)
        except IntegrityError:
            pass
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


def append(
    *,
    subject: str,
    purpose: str,
    kind: str,
    state: str,
    notice_version: int,
    notice_hash: str,
    language: str,
    method: str,
    evidence: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Appended:
    """Append one entry at the next index; must run inside the caller's transaction."""
    with transaction.atomic():
        head = _locked_head()
        now = now or timezone.now()
        index = head.size
        record_id = str(uuid.uuid4())
        entry = entry_for(
            index=index,
            prev=head.last_leaf_hash,
            record_id=record_id,
            subject=subject,
            purpose=purpose,
            kind=kind,
            state=state,
            time=now,
            notice_version=notice_version,
            notice_hash=notice_hash,
            language=language,
            method=method,
            evidence=evidence or {},
        )
        leaf = merkle.leaf_hash(entry.encode())
        frontier_before = [bytes.fromhex(h) for h in head.frontier]
        frontier = merkle.frontier_append(frontier_before, index, leaf)
        proof = merkle.last_leaf_path(frontier_before)
        event = ConsentEvent(
            index=index,
            record_id=record_id,
            subject=subject,
            purpose_code=purpose,
            kind=kind,
            state=state,
            created_at=now,
            payload=entry,
            leaf_hash=leaf.hex(),
            proof=" ".join(h.hex() for h in proof),
        )
        event.save()
        head.size = index + 1
        head.last_leaf_hash = leaf.hex()
        head.frontier = [h.hex() for h in frontier]
        root = merkle.frontier_root(frontier)
        fields = ["size", "last_leaf_hash", "frontier"]
        if _checkpoint_due(head, now):
            _write_checkpoint(head.size, root, now)
            head.checkpointed_at = now
            fields.append("checkpointed_at")
        head.save(update_fields=fields)
    return Appended(event=event, tree_size=index + 1, root=root, proof=proof)


def _checkpoint_due(head: LedgerHead, now: datetime) -> bool:
    every = settings.CONSENT_CHECKPOINT_EVERY
    minutes = settings.CONSENT_CHECKPOINT_MINUTES
    if head.size % every == 0:
        return True
    return head.checkpointed_at is None or now - head.checkpointed_at >= timedelta(minutes=minutes)


def _write_checkpoint(size: int, root: bytes, now: datetime) -> LedgerCheckpoint:
    from consent.receipts import sign

    statement = {"tree_size": size, "root_hash": root.hex(), "created_at": iso_utc(now)}
    return LedgerCheckpoint.objects.create(
        tree_size=size, root_hash=root.hex(), created_at=now, signature=sign(statement)
    )


def checkpoint_now() -> LedgerCheckpoint | None:
    """Sign the current head (if it grew since the last checkpoint)."""
    with transaction.atomic():
        head = _locked_head()
        if head.size == 0 or LedgerCheckpoint.objects.filter(tree_size=head.size).exists():
            return None
        now = timezone.now()
        root = merkle.frontier_root([bytes.fromhex(h) for h in head.frontier])
        checkpoint = _write_checkpoint(head.size, root, now)
        head.checkpointed_at = now
        head.save(update_fields=["checkpointed_at"])
        return checkpoint


def root_at(size: int) -> bytes:
    """The Merkle root over the first ``size`` stored leaves (streamed from the database)."""
    hashes = ConsentEvent.objects.filter(index__lt=size).order_by("index").values_list("leaf_hash", flat=True)
    return merkle.root_of(bytes.fromhex(h) for h in hashes.iterator(chunk_size=5000))


# --- Verification ----------------------------------------------------------------------------------


@dataclass
class Verification:
    """The outcome of recomputing the whole ledger."""

    size: int = 0
    checkpoints: int = 0
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
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return iso_utc(value)


def verify(*, chunk_size: int = 5000) -> Verification:
    """Recompute every leaf, chain link and checkpoint; name the first index that cannot be trusted."""
    from consent.receipts import ReceiptError, verify_jws

    result = Verification()
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
    last_good = 0
    # A root that differs from a signed checkpoint covers a range; a precise failure found later inside
    # that range (a broken link right after a rewritten entry) names the entry better.
    suspect: tuple[int, int, str] | None = None

    def fail(index: int, problem: str) -> Verification:
        if suspect is not None and not (suspect[0] <= index < suspect[1]):
            return result.fail(suspect[0], suspect[2])
        return result.fail(index, problem)

    expected = 0
    prev = ""
    frontier: list[bytes] = []
    for index, payload, stored_leaf, record_id, subject, purpose, kind, state, created_at in _raw_rows(chunk_size):
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
        frontier = merkle.frontier_append(frontier, index, leaf)
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
    if suspect is not None:
        return result.fail(suspect[0], suspect[2])
    return result

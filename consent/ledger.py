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
from django.db import IntegrityError, transaction
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
            _write_checkpoint(head.size, root, frontier, now)
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


def _write_checkpoint(size: int, root: bytes, frontier: list[bytes], now: datetime) -> LedgerCheckpoint:
    """Sign the head, prove it extends the previous checkpoint (RFC 6962), and hand it to the witnesses."""
    from consent import witness
    from consent.receipts import sign

    statement = {"tree_size": size, "root_hash": root.hex(), "created_at": iso_utc(now)}
    checkpoint = LedgerCheckpoint.objects.create(
        tree_size=size,
        root_hash=root.hex(),
        created_at=now,
        signature=sign(statement),
        frontier=[h.hex() for h in frontier],
        consistency=" ".join(h.hex() for h in _consistency_from_previous(size)),
    )
    witness.checkpoint_witness_on_commit(checkpoint)
    return checkpoint


def _consistency_from_previous(size: int) -> list[bytes]:
    """The proof that the tree of ``size`` extends the newest checkpoint: its frontier plus the leaves since."""
    previous = LedgerCheckpoint.objects.filter(tree_size__lt=size).order_by("-tree_size").first()
    if previous is None:
        return []
    leaves = (
        ConsentEvent.objects.filter(index__gte=previous.tree_size, index__lt=size)
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    )
    try:
        return merkle.consistency_proof(
            previous.tree_size, [bytes.fromhex(h) for h in previous.frontier], [bytes.fromhex(h) for h in leaves]
        )
    except ValueError:  # a damaged previous checkpoint: the proof stays empty and verification names it
        return []


def checkpoint_now() -> LedgerCheckpoint | None:
    """Sign the current head (if it grew since the last checkpoint)."""
    with transaction.atomic():
        head = _locked_head()
        if head.size == 0 or LedgerCheckpoint.objects.filter(tree_size=head.size).exists():
            return None
        now = timezone.now()
        frontier = [bytes.fromhex(h) for h in head.frontier]
        checkpoint = _write_checkpoint(head.size, merkle.frontier_root(frontier), frontier, now)
        head.checkpointed_at = now
        head.save(update_fields=["checkpointed_at"])
        return checkpoint


def root_at(size: int) -> bytes:
    """The Merkle root over the first ``size`` stored leaves (streamed from the database)."""
    hashes = ConsentEvent.objects.filter(index__lt=size).order_by("index").values_list("leaf_hash", flat=True)
    return merkle.root_of(bytes.fromhex(h) for h in hashes.iterator(chunk_size=5000))


def verify(*, chunk_size: int = 5000, witnessed=None):
    """Recompute the whole ledger (see ``consent.verification``); ``witnessed``: {tree size: root hex}."""
    from consent.verification import verify_ledger

    return verify_ledger(chunk_size=chunk_size, witnessed=witnessed)

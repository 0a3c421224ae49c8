"""Witnesses outside the database: every signed ledger checkpoint leaves the database as soon as it exists.

A checkpoint is the Ed25519-signed (tree size, root hash) of the ledger plus the RFC 6962 proof that it
extends the checkpoint before it. It holds no personal data. Copies kept elsewhere (an append-only file on
another volume, a mailbox, an outside HTTP endpoint, anyone who fetches the public list) let
``consent_verify --witness`` prove that the ledger still extends every checkpoint it ever signed, so a
truncation or rewrite with the checkpoint rows deleted too no longer goes unnoticed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from consent.models import LedgerCheckpoint
from consent.receipts import ReceiptError, verify_jws
from portal.events import enqueue_on_commit

logger = logging.getLogger(__name__)
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class WitnessError(ValueError):
    """A witness copy that cannot be read or holds a checkpoint the portal's keys did not sign."""


def checkpoint_record(checkpoint: LedgerCheckpoint) -> dict:
    """The published form of a checkpoint: the signed statement plus its consistency proof."""
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "created_at": checkpoint.created_at.isoformat(),
        "signature": checkpoint.signature,
        "consistency": checkpoint.consistency.split(),
    }


def published_list() -> dict:
    """Every checkpoint, oldest first: the list only grows, so any copy of it stays a prefix of the next."""
    rows = LedgerCheckpoint.objects.order_by("tree_size")
    return {
        "log": f"consent ledger of {settings.CONSENT_CONTROLLER}",
        "public_keys": settings.PORTAL_BASE_URL + reverse("consent:jwks"),
        "checkpoints": [checkpoint_record(row) for row in rows.iterator(chunk_size=2000)],
    }


def configured() -> list[str]:
    return [
        name
        for name, value in (
            ("file", str(settings.CONSENT_WITNESS_FILE)),
            ("email", settings.CONSENT_WITNESS_EMAIL),
            ("http", settings.CONSENT_WITNESS_URL),
        )
        if value
    ]


def checkpoint_witness_on_commit(checkpoint: LedgerCheckpoint) -> None:
    """Queue the delivery of a new checkpoint to the configured witnesses (with the transaction that signs it)."""
    if configured():
        from consent.tasks import witness_checkpoint

        enqueue_on_commit(witness_checkpoint, checkpoint_id=checkpoint.pk)


def checkpoint_witness(*, checkpoint_id: int) -> list[str]:
    """Hand one checkpoint to every configured witness; raises after trying all when one of them failed."""
    checkpoint = LedgerCheckpoint.objects.filter(pk=checkpoint_id).first()
    if checkpoint is None:
        return []
    record = checkpoint_record(checkpoint)
    delivered, failed = [], []
    for name, send in (("file", _to_file), ("email", _to_email), ("http", _to_http)):
        if name not in configured():
            continue
        try:
            send(record)
        except (OSError, httpx.HTTPError) as exc:
            logger.warning(
                "Ledger witness %s did not take the checkpoint at size %s: %s", name, record["tree_size"], exc
            )
            failed.append(name)
        else:
            delivered.append(name)
    if failed:
        raise RuntimeError(f"ledger witnesses failed: {', '.join(failed)}")
    return delivered


def _to_file(record: dict) -> None:
    """Append every checkpoint the file lacks (a missed run is caught up), one JSON line each, synced to disk."""
    path = Path(settings.CONSENT_WITNESS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two workers never interleave lines
        handle.seek(0)
        lines = handle.read().splitlines()
        newest = json.loads(lines[-1])["tree_size"] if lines else 0
        missing = LedgerCheckpoint.objects.filter(tree_size__gt=newest, tree_size__lte=record["tree_size"])
        for checkpoint in missing.order_by("tree_size"):
            handle.write(json.dumps(checkpoint_record(checkpoint), sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _to_email(record: dict) -> None:
    """A plain-text mail holding the checkpoint as one JSON line (no personal data: sizes and hashes)."""
    body = (
        "A new checkpoint of the consent ledger was signed. Keep this mail: "
        "`manage.py consent_verify --witness <file>` checks the ledger against such lines.\n\n"
        f"{json.dumps(record, sort_keys=True)}\n\n"
        f"Every checkpoint: {settings.PORTAL_BASE_URL}{reverse('consent:ledger_checkpoints')}\n"
    )
    EmailMessage(
        subject=f"Consent ledger checkpoint {record['tree_size']}",
        body=body,
        to=[settings.CONSENT_WITNESS_EMAIL],
    ).send()


def _to_http(record: dict) -> None:
    response = httpx.post(settings.CONSENT_WITNESS_URL, json=record, timeout=HTTP_TIMEOUT)
    response.raise_for_status()


# --- Reading a witness's copy --------------------------------------------------------------------


def _records(text: str) -> list[dict]:
    """The public list (a JSON document) or a witness file / saved mails (one JSON object per line)."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("checkpoints"), list):
        return document["checkpoints"]
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        return [document]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line.startswith("{"):
            continue  # the prose of a saved mail
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise WitnessError(f"line {number} is not a JSON object") from exc
    return records


def witnessed_roots(source: str) -> dict[int, str]:
    """{tree size: root hash} of every checkpoint in a witness's copy, each signature checked with the portal's keys."""
    try:
        if source.startswith(("http://", "https://")):
            response = httpx.get(source, timeout=HTTP_TIMEOUT, follow_redirects=True)
            response.raise_for_status()
            text = response.text
        else:
            text = Path(source).read_text(encoding="utf-8")
    except (OSError, httpx.HTTPError) as exc:
        raise WitnessError(f"cannot read {source}: {exc}") from exc
    roots: dict[int, str] = {}
    for record in _records(text):
        try:
            statement = verify_jws(str(record.get("signature", "")))
        except ReceiptError as exc:
            raise WitnessError(f"a checkpoint in {source} is not signed by the portal ({exc})") from exc
        size, root = statement.get("tree_size"), statement.get("root_hash")
        if not isinstance(size, int) or not isinstance(root, str):
            raise WitnessError(f"a signed statement in {source} names no tree size and root")
        roots.setdefault(size, root)  # a second root for a size is a fork: the first one witnessed counts
    return roots


def file_witnessed_roots() -> dict[int, str]:
    """The witness file's checkpoints when this process can read it (the DPO's check in the back office)."""
    path = str(settings.CONSENT_WITNESS_FILE)
    if not path or not Path(path).exists():
        return {}
    return witnessed_roots(path)


def witness_labels() -> list[str]:
    """The configured witnesses as the back office names them."""
    labels = {
        "file": _("append-only witness file"),
        "email": _("witness e-mail address"),
        "http": _("witness endpoint (HTTP)"),
    }
    return [str(labels[name]) for name in configured()]

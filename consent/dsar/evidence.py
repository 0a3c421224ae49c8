"""Evidence keys: one random key per UTC day under which the ledger's IP and user-agent hashes are made.

The ledger is append-only, so an old evidence hash cannot be edited away. Instead each evidence hash is
``HMAC(day key, HMAC(member's subject key, label:value))`` and the entry names the day (``evidence.key``).
Testing whether an entry came from an address needs both keys. Erasure destroys the member's key;
the retention policy ``consent.ip_evidence`` destroys day keys older than its period. After that the
hashes are random-looking strings nobody can test, while every leaf hash, chain link and signed
checkpoint stays as it was, so ``consent_verify`` still passes.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.dsar.models import EvidenceKey
from consent.keys import unwrap_key, wrap_key


def evidence_day(moment: datetime | None = None) -> date:
    return (moment or timezone.now()).astimezone(UTC).date()


def evidence_key_current(*, now: datetime | None = None) -> tuple[str, bytes]:
    """The key of today (UTC), created on first use; returns (key id, raw key)."""
    day = evidence_day(now)
    row = EvidenceKey.objects.filter(day=day).only("wrapped_key").first()
    if row is None:
        try:
            with transaction.atomic():
                row = EvidenceKey.objects.create(day=day, wrapped_key=wrap_key(os.urandom(32)))
        except IntegrityError:  # another writer created today's key first
            row = EvidenceKey.objects.get(day=day)
    return day.isoformat(), unwrap_key(row.wrapped_key)


def evidence_key(key_id: str) -> bytes | None:
    """The raw key of a day, or None once retention destroyed it (or the id is not a day)."""
    try:
        day = date.fromisoformat(key_id)
    except (TypeError, ValueError):
        return None
    row = EvidenceKey.objects.filter(day=day).only("wrapped_key").first()
    return unwrap_key(row.wrapped_key) if row is not None else None


def _expired(cutoff: datetime):
    """Keys whose whole day lies before ``cutoff`` (the day's last event is older than the policy allows)."""
    last_whole_day = cutoff.astimezone(UTC).date() - timedelta(days=1)
    return EvidenceKey.objects.filter(day__lte=last_whole_day)


def evidence_keys_preview(cutoff: datetime) -> int:
    return _expired(cutoff).count()


def evidence_keys_destroy(cutoff: datetime) -> int:
    """Destroy the day keys older than ``cutoff``; returns how many days of evidence became untestable."""
    deleted, _by_model = _expired(cutoff).delete()
    return deleted

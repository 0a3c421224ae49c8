"""The member's subject key: how the ledger names a member without holding an identifier.

Each member gets a random 32-byte key, stored only wrapped with FIELD_ENCRYPTION_KEY. The ledger
subject and the evidence hashes are HMACs under that key, so destroying it at erasure leaves every
ledger entry verifiable but no longer linkable to anyone (crypto-shredding). Evidence (IP address,
user agent) is keyed a second time with the day's evidence key (``consent.dsar.evidence``), which the
retention policy destroys after its period, so old evidence goes untestable even for members who stay.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from django.db import IntegrityError, transaction

from consent.keys import unwrap_key, wrap_key
from consent.models import SubjectKey


def _member_key(user, *, create: bool) -> bytes | None:
    row = SubjectKey.objects.filter(user_id=user.pk).only("wrapped_key").first()
    if row is None:
        if not create:
            return None
        try:
            with transaction.atomic():
                row = SubjectKey.objects.create(user_id=user.pk, wrapped_key=wrap_key(os.urandom(32)))
        except IntegrityError:  # another request created it first
            row = SubjectKey.objects.get(user_id=user.pk)
    return unwrap_key(row.wrapped_key)


def _mac(key: bytes, label: str, value: str = "") -> str:
    return hmac.new(key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()


class Subject:
    """The ledger's view of one member: a stable reference and keyed evidence hashes."""

    def __init__(self, key: bytes):
        self._key = key
        self.ref = _mac(key, "subject")
        self.evidence_key_id: str | None = None
        self._evidence_key: bytes | None = None

    def evidence_hash(self, label: str, value: str) -> str:
        """HMAC under today's evidence key of the HMAC under the member's key; "" for no value."""
        if not value:
            return ""
        if self._evidence_key is None:
            from consent.dsar.evidence import evidence_key_current

            self.evidence_key_id, self._evidence_key = evidence_key_current()
        return _evidence_mac(self._evidence_key, _mac(self._key, label, value))

    def evidence_key_ref(self) -> dict[str, str]:
        """The ``key`` field of the entry's evidence: which day key the hashes need (none when nothing was hashed)."""
        return {"key": self.evidence_key_id} if self.evidence_key_id else {}


def _evidence_mac(day_key: bytes, inner: str) -> str:
    return hmac.new(day_key, inner.encode(), hashlib.sha256).hexdigest()[:32]


def evidence_matches(*, user, evidence: dict, label: str, value: str) -> bool | None:
    """Does an entry's evidence (``label`` "ip" or "ua") come from ``value``? None once a key needed is gone."""
    from consent.dsar.evidence import evidence_key

    stored = evidence.get({"ip": "ip", "ua": "user_agent"}[label], "")
    member_key = _member_key(user, create=False)
    if member_key is None or not stored:
        return None
    inner = _mac(member_key, label, value)
    if "key" not in evidence:  # entries written before evidence keys existed: keyed by the member only
        return hmac.compare_digest(stored, inner[:32])
    day_key = evidence_key(evidence["key"])
    if day_key is None:
        return None
    return hmac.compare_digest(stored, _evidence_mac(day_key, inner))


def subject_for(user, *, create: bool = True) -> Subject | None:
    """The member's ledger subject; None when the member never had one (or it was destroyed) and create is False."""
    key = _member_key(user, create=create)
    return Subject(key) if key is not None else None


def subject_key_destroy(*, user) -> int:
    """Destroy the member's key (erasure): their ledger entries stay valid but unlinkable."""
    deleted, _ = SubjectKey.objects.filter(user_id=user.pk).delete()
    return deleted

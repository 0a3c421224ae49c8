"""The member's subject key: how the ledger names a member without holding an identifier.

Each member gets a random 32-byte key, stored only wrapped with FIELD_ENCRYPTION_KEY. The ledger
subject and the evidence hashes are HMACs under that key, so destroying it at erasure leaves every
ledger entry verifiable but no longer linkable to anyone (crypto-shredding).
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

    def evidence_hash(self, label: str, value: str) -> str:
        return _mac(self._key, label, value)[:32] if value else ""


def subject_for(user, *, create: bool = True) -> Subject | None:
    """The member's ledger subject; None when the member never had one (or it was destroyed) and create is False."""
    key = _member_key(user, create=create)
    return Subject(key) if key is not None else None


def subject_key_destroy(*, user) -> int:
    """Destroy the member's key (erasure): their ledger entries stay valid but unlinkable."""
    deleted, _ = SubjectKey.objects.filter(user_id=user.pk).delete()
    return deleted

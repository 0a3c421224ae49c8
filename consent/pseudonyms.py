"""Pseudonyms per domain: HMAC-SHA256 under a per-domain key derived (HKDF) from the versioned master keys.

Format: ``<domain>_<version>_<20 base32 characters>`` (100 bits of the HMAC), e.g. ``crm_1_q3ydm2c7...``.
The domain prefix says where a pseudonym belongs, the version which key made it, so keys rotate
without breaking re-identification. Different domains give unlinkable pseudonyms; the keys live in
settings only. The first use of each pseudonym records it in ``PseudonymMapping`` for the DPO.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import partial

from django.db import IntegrityError, transaction

from consent.keys import current_pseudonym_version, pseudonym_key
from consent.models import PseudonymMapping

DOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,19}$")
PSEUDONYM_PATTERN = re.compile(r"^([a-z][a-z0-9]{1,19})_(\d+)_([a-z2-7]{20})$")
_recorded: set[tuple[int, str, int]] = set()


class InvalidDomain(ValueError):
    """A pseudonym domain must be 2-20 lower-case letters and digits, starting with a letter."""


def compute(user_id: int, domain: str, version: int) -> str:
    digest = hmac.new(pseudonym_key(domain, version), str(user_id).encode(), hashlib.sha256).digest()
    return f"{domain}_{version}_{base64.b32encode(digest).decode()[:20].lower()}"


def pseudonym_for(user, domain: str, *, version: int | None = None) -> str:
    """The member's stable pseudonym in ``domain`` under the current (or given) key version."""
    if not DOMAIN_PATTERN.match(domain or ""):
        raise InvalidDomain(f"invalid pseudonym domain {domain!r}")
    if user is None or not getattr(user, "pk", None):
        raise ValueError("a pseudonym needs a stored member")
    version = version or current_pseudonym_version()
    pseudonym = compute(user.pk, domain, version)
    marker = (user.pk, domain, version)
    if marker not in _recorded:
        _record(user.pk, domain, version, pseudonym)
        # Remember only committed rows, so a rolled-back mapping is written again next time.
        transaction.on_commit(partial(_recorded.add, marker))
    return pseudonym


def _record(user_id: int, domain: str, version: int, pseudonym: str) -> None:
    if PseudonymMapping.objects.filter(pseudonym=pseudonym).exists():
        return
    try:
        with transaction.atomic():
            PseudonymMapping.objects.create(user_id=user_id, domain=domain, key_version=version, pseudonym=pseudonym)
    except IntegrityError:
        pass  # recorded concurrently


def parse(pseudonym: str) -> tuple[str, int] | None:
    match = PSEUDONYM_PATTERN.match(pseudonym.strip())
    return (match.group(1), int(match.group(2))) if match else None

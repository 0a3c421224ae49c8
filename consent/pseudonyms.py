"""Pseudonyms per domain: HMAC-SHA256 under a per-domain key derived (HKDF) from the versioned master keys.

Format: ``<domain>_<version>_<20 base32 characters>`` (100 bits of the HMAC), e.g. ``crm_1_q3ydm2c7...``.
The domain prefix says where a pseudonym belongs, the version which key made it, so keys rotate
without breaking re-identification. Different domains give unlinkable pseudonyms; the keys live in
settings only. The first use of each pseudonym records it in ``PseudonymMapping`` for the DPO.

Recipients: every party that receives pseudonyms from outside the portal (a CRM connection, later a
webhook subscriber or an API client) has a recipient key, ``<kind>:<token>`` (``crm:3f9c...``), and
its own domain derived from it, so two recipients never hold the same pseudonym for one member and
cannot join their records. A recipient key that already is a domain (``crm``, the shared domain of
connections made before per-recipient domains) keeps that domain, so their records stay valid.
Apps that own recipients register a source with ``add_recipient_source``; consent knows no app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction

from consent.keys import current_pseudonym_version, pseudonym_key
from consent.models import PseudonymMapping

DOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,19}$")
PSEUDONYM_PATTERN = re.compile(r"^([a-z][a-z0-9]{1,19})_(\d+)_([a-z2-7]{20})$")
RECIPIENT_PATTERN = re.compile(r"^([a-z][a-z0-9]{1,7}):([a-z0-9]{1,56})$")
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


def pseudonyms_for_ids(user_ids, domain: str) -> dict[int, str]:
    """``pseudonym_for`` for many members at once: one query records the mappings not yet known to this process."""
    if not DOMAIN_PATTERN.match(domain or ""):
        raise InvalidDomain(f"invalid pseudonym domain {domain!r}")
    version = current_pseudonym_version()
    found = {pk: compute(pk, domain, version) for pk in {pk for pk in user_ids if pk}}
    missing = {pk: p for pk, p in found.items() if (pk, domain, version) not in _recorded}
    if missing:
        PseudonymMapping.objects.bulk_create(
            [
                PseudonymMapping(user_id=pk, domain=domain, key_version=version, pseudonym=p)
                for pk, p in missing.items()
            ],
            ignore_conflicts=True,
        )
        for pk in missing:
            transaction.on_commit(partial(_recorded.add, (pk, domain, version)))
    return found


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


def recipient_domain(recipient: str) -> str:
    """The pseudonym domain of one recipient key: its own HKDF key space, prefixed with the recipient's kind."""
    if DOMAIN_PATTERN.match(recipient or ""):
        return recipient
    match = RECIPIENT_PATTERN.match(recipient or "")
    if not match:
        raise InvalidDomain(f"invalid pseudonym recipient {recipient!r}")
    kind = match.group(1)
    digest = base64.b32encode(hashlib.sha256(recipient.encode()).digest()).decode().lower()
    return kind + digest[: 20 - len(kind)]


@dataclass(frozen=True)
class Recipient:
    """One recipient of pseudonyms as the DPO sees it: its key and a name (several, for a shared legacy key)."""

    key: str
    label: str

    @property
    def domain(self) -> str:
        return recipient_domain(self.key)


RecipientSource = Callable[[], Iterable[tuple[str, str]]]  # () -> [(recipient key, label), ...]
_recipient_sources: list[RecipientSource] = []


def add_recipient_source(source: RecipientSource) -> None:
    """Let re-identification name the recipients ``source`` lists (idempotent; called at start-up)."""
    if source not in _recipient_sources:
        _recipient_sources.append(source)


def recipients() -> dict[str, Recipient]:
    """Every known recipient by key; connections sharing the legacy key appear as one, with all their names."""
    labels: dict[str, list[str]] = {}
    for source in _recipient_sources:
        for key, label in source():
            labels.setdefault(key, []).append(label)
    return {key: Recipient(key, ", ".join(names)) for key, names in sorted(labels.items())}


def recipient_of(pseudonym: str, known: dict[str, Recipient] | None = None) -> Recipient | None:
    """The recipient whose domain produced ``pseudonym``, or None for a domain no current recipient has."""
    parsed = parse(pseudonym or "")
    if parsed is None:
        return None
    known = recipients() if known is None else known
    return next((recipient for recipient in known.values() if recipient.domain == parsed[0]), None)

"""Key material of the privacy core, all derived from settings (never from the database).

- pseudonym keys: HKDF-SHA256 per domain and version from ``PSEUDONYM_KEYS`` (ENISA: key separation);
- the receipt signing key: Ed25519 from ``RECEIPT_SIGNING_KEY``, as a JWK; retired public keys from
  ``RECEIPT_RETIRED_PUBLIC_KEYS`` still verify;
- member subject and evidence keys: random, wrapped with AES-256-GCM under ``FIELD_ENCRYPTION_KEY``
  (``portal.field_crypto``, key versions).
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from jwcrypto import jwk

from portal import field_crypto
from portal.keys import decode_key, parse_pseudonym_keys

WRAP_AAD = b"consent.subject-key.v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _pseudonym_masters(value: str) -> dict[int, bytes]:
    return parse_pseudonym_keys(value)


def pseudonym_versions() -> dict[int, bytes]:
    return _pseudonym_masters(settings.PSEUDONYM_KEYS)


def current_pseudonym_version() -> int:
    return max(pseudonym_versions())


@lru_cache(maxsize=256)
def _domain_key(master: bytes, domain: str, version: int) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"portal-pseudonym",
        info=f"pseudonym:{domain}:v{version}".encode(),
    ).derive(master)


def pseudonym_key(domain: str, version: int) -> bytes:
    """The HMAC key of one domain at one key version."""
    masters = pseudonym_versions()
    if version not in masters:
        raise KeyError(f"no pseudonym key version {version}")
    return _domain_key(masters[version], domain, version)


def _labelled(key: jwk.JWK) -> jwk.JWK:
    key.update(kid=key.thumbprint(), alg="EdDSA", use="sig")
    return key


@lru_cache(maxsize=4)
def _signing_jwk(value: str) -> jwk.JWK:
    return _labelled(jwk.JWK.from_pyca(Ed25519PrivateKey.from_private_bytes(decode_key(value))))


def signing_jwk() -> jwk.JWK:
    """The private receipt signing key, labelled (kid = RFC 7638 thumbprint) like its published half."""
    return _signing_jwk(settings.RECEIPT_SIGNING_KEY)


def current_jwk() -> dict[str, str]:
    """The published half of the signing key: an OKP JWK (RFC 8037)."""
    return signing_jwk().export_public(as_dict=True)


@lru_cache(maxsize=4)
def _verification_keys(current: str, retired: tuple[str, ...]) -> tuple[jwk.JWK, ...]:
    keys = [jwk.JWK(**_signing_jwk(current).export_public(as_dict=True))]
    for value in retired:
        key = _labelled(jwk.JWK.from_pyca(Ed25519PublicKey.from_public_bytes(b64url_decode(value))))
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def verification_keys() -> tuple[jwk.JWK, ...]:
    """The public keys receipts and checkpoints verify against: the current one first, then retired ones."""
    retired = tuple(filter(None, (v.strip() for v in settings.RECEIPT_RETIRED_PUBLIC_KEYS)))
    return _verification_keys(settings.RECEIPT_SIGNING_KEY, retired)


def wrap_key(key: bytes) -> bytes:
    return field_crypto.encrypt(key, aad=WRAP_AAD)


def unwrap_key(blob: bytes) -> bytes:
    return field_crypto.decrypt(blob, aad=WRAP_AAD)

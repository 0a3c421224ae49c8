"""Key material of the privacy core, all derived from settings (never from the database).

- pseudonym keys: HKDF-SHA256 per domain and version from ``PSEUDONYM_KEYS`` (ENISA: key separation);
- the receipt signing key: Ed25519 from ``RECEIPT_SIGNING_KEY``;
- member subject keys: random per member, wrapped with AES-256-GCM under ``FIELD_ENCRYPTION_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

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


@lru_cache(maxsize=4)
def _signing_key(value: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(decode_key(value))


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.RECEIPT_SIGNING_KEY)


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The OKP JWK (RFC 8037) with its RFC 7638 thumbprint as key id."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = b64url(raw)
    thumbprint = b64url(
        hashlib.sha256(
            json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True).encode()
        ).digest()
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "alg": "EdDSA", "use": "sig"}


def current_jwk() -> dict[str, str]:
    return public_jwk(signing_key().public_key())


def _field_key() -> bytes:
    return decode_key(settings.FIELD_ENCRYPTION_KEY)


def wrap_key(key: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_field_key()).encrypt(nonce, key, WRAP_AAD)


def unwrap_key(blob: bytes) -> bytes:
    blob = bytes(blob)
    return AESGCM(_field_key()).decrypt(blob[:12], blob[12:], WRAP_AAD)

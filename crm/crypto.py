"""AES-256-GCM for connection credentials: the database alone never reveals a CRM secret."""

from __future__ import annotations

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from portal.keys import decode_key

PREFIX = "v1:"


def _cipher() -> AESGCM:
    return AESGCM(decode_key(settings.FIELD_ENCRYPTION_KEY))


def encrypt_json(value: dict[str, str], *, aad: bytes) -> str:
    """Encrypt a small dict; a fresh 96-bit nonce is stored in front of the ciphertext."""
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, json.dumps(value, sort_keys=True).encode(), aad)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_json(token: str, *, aad: bytes) -> dict[str, str]:
    """Decrypt what ``encrypt_json`` stored; a wrong key or an edited row raises ``InvalidTag``."""
    raw = base64.urlsafe_b64decode(token.removeprefix(PREFIX))
    return json.loads(_cipher().decrypt(raw[:12], raw[12:], aad))

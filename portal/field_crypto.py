"""AES-256-GCM for values kept in the database (CRM credentials, wrapped member keys), with key versions.

``FIELD_ENCRYPTION_KEY`` holds one key (version 1) or ``1:<key>,2:<key>``: the highest version seals,
every listed version still opens, so a key is rotated by adding a version and dropped once nothing
sealed under it is left. A sealed value names the key version that sealed it:

- text (``encrypt_text``): ``v<version>:<base64url(nonce || ciphertext || tag)>``, the form CRM
  credentials have had since before key versions existed (as ``v1:``);
- bytes (``encrypt``): ``v<version>:`` then nonce || ciphertext || tag, except under version 1, whose
  values stay the bare nonce || ciphertext || tag that wrapped keys were stored as before key versions.

The associated data (AAD) names the use, so a value copied into another column does not open there.
A wrong key, a wrong AAD or an edited byte raises ``cryptography.exceptions.InvalidTag``.
"""

from __future__ import annotations

import base64
import os
import re
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.keys import parse_field_keys

NONCE_BYTES = 12
TAG_BYTES = 16
# Version 1 is the key of the single-key setting; its byte values carry no version mark.
UNMARKED_VERSION = 1

_TEXT = re.compile(r"v(?P<version>[1-9][0-9]{0,8}):(?P<sealed>[A-Za-z0-9_=-]+)")
_MARK = re.compile(rb"v(?P<version>[1-9][0-9]{0,8}):")


class UnknownKeyVersion(ImproperlyConfigured):
    """A value sealed under a key version that FIELD_ENCRYPTION_KEY does not list (removed too early)."""


@lru_cache(maxsize=8)
def _parsed(value: str) -> dict[int, bytes]:
    return parse_field_keys(value)


def field_keys() -> dict[int, bytes]:
    """Every configured key by version."""
    return _parsed(settings.FIELD_ENCRYPTION_KEY)


def current_version() -> int:
    return max(field_keys())


def _key(version: int) -> bytes:
    keys = field_keys()
    if version not in keys:
        raise UnknownKeyVersion(
            f"this value was encrypted under FIELD_ENCRYPTION_KEY version {version}, which the setting does not "
            f"list (it lists {', '.join(map(str, sorted(keys)))}); add that key version back to read it"
        )
    return keys[version]


def _seal(version: int, data: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_key(version)).encrypt(nonce, data, aad)


def _open(version: int, sealed: bytes, aad: bytes) -> bytes:
    key = _key(version)
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise InvalidTag
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


def encrypt_text(data: bytes, *, aad: bytes) -> str:
    """Seal ``data`` under the current key version, for a text column."""
    version = current_version()
    return f"v{version}:" + base64.urlsafe_b64encode(_seal(version, data, aad)).decode()


def decrypt_text(token: str, *, aad: bytes) -> bytes:
    """Open what ``encrypt_text`` sealed, under the key version the token names."""
    match = _TEXT.fullmatch(token or "")
    if match is None:
        raise InvalidTag
    try:
        sealed = base64.urlsafe_b64decode(match["sealed"])
    except ValueError as exc:
        raise InvalidTag from exc
    return _open(int(match["version"]), sealed, aad)


def encrypt(data: bytes, *, aad: bytes) -> bytes:
    """Seal ``data`` under the current key version, for a binary column."""
    version = current_version()
    sealed = _seal(version, data, aad)
    return sealed if version == UNMARKED_VERSION else f"v{version}:".encode() + sealed


def decrypt(blob: bytes, *, aad: bytes) -> bytes:
    """Open what ``encrypt`` sealed (or a wrapped key stored before key versions existed)."""
    blob = bytes(blob)
    match = _MARK.match(blob)
    if match is None:
        return _open(UNMARKED_VERSION, blob, aad)
    try:
        return _open(int(match["version"]), blob[match.end() :], aad)
    except (InvalidTag, UnknownKeyVersion):
        # An unmarked version-1 value whose random nonce happens to begin like a version mark.
        try:
            return _open(UNMARKED_VERSION, blob, aad)
        except (InvalidTag, UnknownKeyVersion):
            pass
        raise


def looks_sealed(token: str) -> bool:
    """Has this text the form ``encrypt_text`` gives (``v<version>:<base64url>``)?"""
    return _TEXT.fullmatch(token or "") is not None


def text_version(token: str) -> int | None:
    """The key version a sealed text names (None for a value that is not sealed text)."""
    match = _TEXT.fullmatch(token or "")
    return int(match["version"]) if match else None


def blob_version(blob: bytes, *, aad: bytes) -> int:
    """The key version that opens a sealed binary value (raises like ``decrypt`` when none does)."""
    blob = bytes(blob)
    match = _MARK.match(blob)
    if match is not None:
        try:
            _open(int(match["version"]), blob[match.end() :], aad)
            return int(match["version"])
        except (InvalidTag, UnknownKeyVersion):
            pass
    _open(UNMARKED_VERSION, blob, aad)
    return UNMARKED_VERSION

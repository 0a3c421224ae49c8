"""Key material for the portal: read from the environment, generated once into var/ in development.

Production (DEBUG off) refuses to start when a key is missing or is a development key,
so a deployment can never run on keys that sit in a developer's checkout.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DEV_PREFIX = "dev-"


def _b64_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


@dataclass(frozen=True)
class KeySpec:
    """One secret the portal needs, with the environment variable that carries it."""

    env: str
    description: str

    def generate(self) -> str:
        return DEV_PREFIX + _b64_key()


KEY_SPECS = (
    KeySpec("SECRET_KEY", "Django's secret key (sessions, CSRF, signed tokens)"),
    KeySpec("PSEUDONYM_KEYS", "versioned master keys for pseudonyms: 'version:key,...', highest version current"),
    KeySpec("RECEIPT_SIGNING_KEY", "Ed25519 private key (base64url of the 32-byte seed) signing consent receipts"),
    KeySpec(
        "FIELD_ENCRYPTION_KEY",
        "versioned AES-256-GCM keys (base64url, 32 bytes) for secrets stored in the database: 'version:key,...', "
        "highest version current; a single key without version is version 1",
    ),
    KeySpec(
        "BLIND_INDEX_KEY",
        "HMAC-SHA256 key (base64url, at least 32 bytes) of the blind indexes that find encrypted e-mail addresses; "
        "not versioned: changing it needs `rotate_field_keys --blind-indexes`",
    ),
)


def decode_key(value: str) -> bytes:
    """Decode a base64url key, with or without the development prefix."""
    raw = value.removeprefix(DEV_PREFIX)
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def load_keys(*, debug: bool, var_dir: Path, environ=os.environ) -> dict[str, str]:
    """Return every key; in development generate missing ones once into var/keys.json."""
    keys: dict[str, str] = {}
    store = var_dir / "keys.json"
    stored: dict[str, str] = {}
    if debug and store.exists():
        stored = json.loads(store.read_text())
    changed = False
    problems = []
    for spec in KEY_SPECS:
        value = environ.get(spec.env, "").strip()
        if not value and debug:
            value = stored.get(spec.env) or ""
            if not value:
                value = _dev_value(spec)
                stored[spec.env] = value
                changed = True
        if not debug:
            if not value:
                problems.append(f"{spec.env} is not set ({spec.description})")
            elif _is_development(value):
                problems.append(f"{spec.env} is a development key; set a production key")
            elif spec.env in PARSERS:
                try:
                    PARSERS[spec.env](value)
                except ImproperlyConfigured as exc:
                    problems.append(str(exc))
        keys[spec.env] = value
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with production settings: "
            + "; ".join(problems)
            + ". Generate keys with: python manage.py generate_keys"
        )
    if changed:
        var_dir.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(stored, indent=2))
        store.chmod(0o600)
    return keys


def _dev_value(spec: KeySpec) -> str:
    if spec.env in VERSIONED_PARSERS:
        return "1:" + spec.generate()
    return spec.generate()


def _is_development(value: str) -> bool:
    parts = [p.split(":", 1)[-1] for p in value.split(",")] if ":" in value else [value]
    return any(p.strip().startswith(DEV_PREFIX) or p.startswith("django-insecure") for p in parts)


def production_values() -> dict[str, str]:
    """Fresh production keys, printed by `manage.py generate_keys`."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PSEUDONYM_KEYS": "1:" + _b64_key(),
        "RECEIPT_SIGNING_KEY": _b64_key(),
        "FIELD_ENCRYPTION_KEY": "1:" + _b64_key(),
        "BLIND_INDEX_KEY": _b64_key(),
    }


def parse_versioned_keys(value: str, *, setting: str, length: int | None = None) -> dict[int, bytes]:
    """'1:key,2:key' -> {1: bytes, 2: bytes}; a malformed value names the setting and what is wrong with it."""
    result: dict[int, bytes] = {}
    for item in filter(None, (p.strip() for p in value.split(","))):
        version_text, _, key = item.partition(":")
        if not version_text.isdigit() or int(version_text) < 1:
            raise ImproperlyConfigured(f"{setting}: '{version_text}' is not a key version (1, 2, ...)")
        version = int(version_text)
        if version in result:
            raise ImproperlyConfigured(f"{setting} lists key version {version} twice")
        try:
            result[version] = decode_key(key.strip())
        except ValueError as exc:
            raise ImproperlyConfigured(f"{setting}: key version {version} is not base64url") from exc
        if length is not None and len(result[version]) != length:
            raise ImproperlyConfigured(f"{setting}: key version {version} is not {length} bytes long")
    if not result:
        raise ImproperlyConfigured(f"{setting} holds no key")
    return result


def parse_pseudonym_keys(value: str) -> dict[int, bytes]:
    """PSEUDONYM_KEYS: '1:key,2:key', the highest version current."""
    return parse_versioned_keys(value, setting="PSEUDONYM_KEYS")


def parse_field_keys(value: str) -> dict[int, bytes]:
    """FIELD_ENCRYPTION_KEY: one key (version 1, the form before key versions) or '1:key,2:key'."""
    if value.strip() and ":" not in value:
        value = "1:" + value.strip()
    return parse_versioned_keys(value, setting="FIELD_ENCRYPTION_KEY", length=32)


def parse_blind_index_key(value: str) -> bytes:
    """BLIND_INDEX_KEY: one base64url key of at least 32 bytes (a blind index is only as strong as its key)."""
    try:
        key = decode_key(value.strip())
    except ValueError as exc:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is not base64url") from exc
    if len(key) < 32:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is shorter than 32 bytes")
    return key


VERSIONED_PARSERS = {"PSEUDONYM_KEYS": parse_pseudonym_keys, "FIELD_ENCRYPTION_KEY": parse_field_keys}
# Every key whose form is checked before production starts.
PARSERS = {**VERSIONED_PARSERS, "BLIND_INDEX_KEY": parse_blind_index_key}

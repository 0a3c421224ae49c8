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
    KeySpec("FIELD_ENCRYPTION_KEY", "AES-256-GCM key (base64url, 32 bytes) for secrets stored in the database"),
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
        keys[spec.env] = value
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DJANGO_DEBUG=0: "
            + "; ".join(problems)
            + ". Generate keys with: python manage.py generate_keys"
        )
    if changed:
        var_dir.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(stored, indent=2))
        store.chmod(0o600)
    return keys


def _dev_value(spec: KeySpec) -> str:
    if spec.env == "PSEUDONYM_KEYS":
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
        "FIELD_ENCRYPTION_KEY": _b64_key(),
    }


def parse_pseudonym_keys(value: str) -> dict[int, bytes]:
    """'1:key,2:key' -> {1: bytes, 2: bytes}."""
    result = {}
    for item in filter(None, (p.strip() for p in value.split(","))):
        version, _, key = item.partition(":")
        result[int(version)] = decode_key(key)
    if not result:
        raise ImproperlyConfigured("PSEUDONYM_KEYS holds no key")
    return result

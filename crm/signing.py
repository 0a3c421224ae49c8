"""Signatures on webhooks in and out: Standard Webhooks (v1 HMAC-SHA256) and BottleCRM's scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

TOLERANCE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """A webhook whose signature, timestamp or secret does not check out."""


def new_secret() -> str:
    """A fresh Standard Webhooks secret (``whsec_`` + base64 of 32 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _secret_bytes(secret: str) -> bytes:
    if not secret:
        raise SignatureError("no signing secret configured")
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise SignatureError("the signing secret is not base64") from exc


def standard_sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256(id.timestamp.body)>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_headers(*, secret: str, msg_id: str, body: bytes, now: int | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


def standard_verify(*, secret: str, headers, body: bytes, now: int | None = None) -> str:
    """Check an inbound Standard Webhook against the raw body; returns the message id."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not msg_id or not stamp or not given:
        raise SignatureError("missing webhook headers")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise SignatureError("bad timestamp") from exc
    current = int(now if now is not None else time.time())
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance")
    expected = standard_sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body).encode()
    for candidate in given.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return msg_id
    raise SignatureError("no matching signature")


def bottlecrm_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """``X-BottleCRM-Signature``: ``t=<unix>,v1=<hex HMAC-SHA256("<t>." + body)>``.

    As BottleCRM 1.35 signs (``webhooks.tasks.sign``): the key is the endpoint secret exactly as
    BottleCRM shows it, ``whsec_`` prefix included and not base64-decoded (unlike Standard Webhooks).
    """
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def bottlecrm_verify(*, secret: str, header: str, body: bytes, now: int | None = None) -> None:
    """Check a BottleCRM delivery against the raw body; its timestamp is the send time of each attempt."""
    if not secret:
        raise SignatureError("no signing secret configured")
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError as exc:
        raise SignatureError("bad timestamp") from exc
    current = int(now if now is not None else time.time())
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance")
    expected = bottlecrm_sign(secret=secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise SignatureError("no matching signature")

"""Signatures on webhooks in and out: Standard Webhooks (the standardwebhooks package) and BottleCRM's scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

TOLERANCE_SECONDS = 5 * 60  # BottleCRM's; Standard Webhooks' is the same, fixed in the standardwebhooks package


class SignatureError(ValueError):
    """A webhook whose signature, timestamp or secret does not check out."""


def new_secret() -> str:
    """A fresh Standard Webhooks secret (``whsec_`` + base64 of 32 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _webhook(secret: str) -> Webhook:
    if not secret:
        raise SignatureError("no signing secret configured")
    try:
        raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError as exc:
        raise SignatureError("the signing secret is not base64") from exc
    if not raw:
        raise SignatureError("no signing secret configured")
    return Webhook(raw)


def standard_headers(*, secret: str, msg_id: str, body: bytes, now: int | None = None) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``) for a body."""
    timestamp = int(now if now is not None else time.time())
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": _webhook(secret).sign(msg_id, moment, body.decode()),
    }


def standard_verify(*, secret: str, headers, body: bytes) -> str:
    """Check an inbound Standard Webhook against the raw body (five minutes' tolerance); returns the message id."""
    webhook = _webhook(secret)
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        webhook.verify(body, lowered, json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:  # ValueError: a body or signature that is not decodable
        raise SignatureError(str(exc) or "no matching signature") from exc
    return lowered["webhook-id"]


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

"""Unsubscribe links for marketing mail: signed, without expiry, usable without logging in (RFC 8058)."""

from __future__ import annotations

from django.core import signing

SALT = "consent.unsubscribe"


def unsubscribe_token(user, purpose: str) -> str:
    return signing.dumps({"u": user.pk, "p": purpose}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    return data["u"], data["p"]

"""Reads of the token pages."""

from __future__ import annotations

from api.models import ApiToken, TokenKind


def tokens_of(*, user) -> list[ApiToken]:
    """The member's personal tokens, newest first (one query)."""
    return list(ApiToken.objects.filter(user=user, kind=TokenKind.PERSONAL))


def integration_tokens():
    return ApiToken.objects.filter(kind=TokenKind.INTEGRATION).select_related("user", "created_by")


def pseudonym_recipients() -> list[tuple[str, str]]:
    """Every token as a recipient of pseudonyms, for the DPO's re-identification (consent's slot)."""
    return [
        (key, f"API: {name} ({prefix}…)")
        for key, name, prefix in ApiToken.objects.order_by("pk").values_list("recipient_key", "name", "prefix")
    ]

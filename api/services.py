"""Every write of API tokens: creation (the secret shown once), revocation, and the use that authenticates a call."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from api import permissions
from api.models import ApiToken, TokenKind
from api.scopes import INTEGRATION_SCOPES, PersonalScope
from consent.processors import standing_annotations, standing_remember
from consent.services import audit_record

SECRET_PREFIX = {TokenKind.PERSONAL: "cpat_", TokenKind.INTEGRATION: "cint_"}
# last_used_at is written at most once per this interval, so a busy token does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(secret: str) -> str:
    """The keyed hash stored for a secret (HMAC-SHA256 under the site's secret key)."""
    return salted_hmac("api.token", secret, algorithm="sha256").hexdigest()


def _clean(*, kind: str, name: str, scopes: list[str], expires_at) -> tuple[str, list[str]]:
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ValidationError({"name": _("Give the token a name, so you recognise it later.")})
    allowed = PersonalScope.values if kind == TokenKind.PERSONAL else list(INTEGRATION_SCOPES)
    scopes = sorted({scope for scope in scopes if scope in allowed})
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry date must be in the future.")})
    return name, scopes


@transaction.atomic
def token_create(*, kind: str, name: str, user, scopes: list[str], expires_at=None, created_by) -> tuple[ApiToken, str]:
    """Issue a token; returns it with the secret, which is never stored and cannot be shown again."""
    if kind == TokenKind.PERSONAL:
        if created_by.pk != user.pk or not permissions.can_create_personal_token(user):
            raise PermissionDenied
    elif kind == TokenKind.INTEGRATION:
        if not permissions.can_manage_integrations(created_by):
            raise PermissionDenied
        if not (user.is_active and not user.erased_at):
            raise ValidationError({"user": _("An integration must act as an active staff account.")})
    else:
        raise ValidationError({"kind": _("Unknown kind of token.")})
    name, scopes = _clean(kind=kind, name=name, scopes=scopes, expires_at=expires_at)
    secret = SECRET_PREFIX[kind] + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        kind=kind,
        name=name,
        user=user,
        created_by=created_by,
        scopes=scopes,
        prefix=secret[:12],
        digest=token_digest(secret),
        expires_at=expires_at,
    )
    audit_record(actor=created_by, subject=user, action="api_token_create", target=str(token))
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> bool:
    """Revoke a token at once; returns False when it was already revoked."""
    if token.is_personal:
        if by.pk != token.user_id:
            raise PermissionDenied
    elif not permissions.can_manage_integrations(by):
        raise PermissionDenied
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
        audit_record(actor=by, subject=token.user, action="api_token_revoke", target=str(token))
    return bool(revoked)


def token_authenticate(secret: str) -> ApiToken | None:
    """The active token for ``secret`` with its user (and the user's processing standing) loaded, or None.

    Unknown, revoked and expired tokens and tokens of inactive or erased accounts all answer None.
    """
    if not secret or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .annotate(**standing_annotations("user_id"))
        .filter(digest=token_digest(secret))
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_active(now):
        return None
    user = token.user
    if not user.is_active or user.erased_at:
        return None
    standing_remember(user, token)
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

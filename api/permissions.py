"""Who may hold and manage API tokens; the API's operations ask the apps' own permissions."""

from __future__ import annotations

from django.http import Http404

from api.models import ApiToken, TokenKind

MANAGE_INTEGRATIONS = "api.add_apitoken"


def can_create_personal_token(user) -> bool:
    """Any signed-in, active member who has not been erased."""
    return bool(user and user.is_authenticated and user.is_active and not user.erased_at)


def can_manage_integrations(user) -> bool:
    """Administrators (the role holds ``api.add_apitoken``): integrations act as staff accounts."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(MANAGE_INTEGRATIONS))


def access_own_token(user, token_id) -> ApiToken:
    """One of the member's own personal tokens, else 404."""
    token = ApiToken.objects.filter(pk=token_id, user=user, kind=TokenKind.PERSONAL).first() if user.pk else None
    if token is None:
        raise Http404
    return token

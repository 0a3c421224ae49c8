"""Bearer authentication of the API: the token is looked up by its keyed hash, rate-limited and checked for processing."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from api import services
from consent.processors import erasure_in_progress, may_process
from portal import ratelimit

# The member's own client reading and writing the member's own data: it serves the member's request.
PERSONAL_PROCESSOR = "api.personal"
# A company tool reading members' contributions and cards (as pseudonyms) for the company's follow-up.
INTEGRATION_PROCESSOR = "api.integration"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; personal and integration tokens alike."""

    def authenticate(self, request, token):
        api_token = services.token_authenticate(token)
        if api_token is None:
            return None
        ratelimit.hit(f"api:token:{api_token.pk}", limit=settings.API_RATE_LIMIT_PER_MINUTE, window=60)
        if api_token.is_personal and not may_process(api_token.user, PERSONAL_PROCESSOR):
            raise PermissionDenied(_("This account cannot use the API."))
        if api_token.is_personal and erasure_in_progress(api_token.user):
            # The account is locked while its deletion waits out the grace period; signing in cancels it.
            raise PermissionDenied(_("This account is being deleted. Sign in on the website to cancel the deletion."))
        request.api_token = api_token
        return api_token

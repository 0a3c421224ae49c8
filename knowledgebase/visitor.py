"""The anonymous visitor's vote key: kept in the Django session, which exists only after they vote."""

from __future__ import annotations

import secrets

from django.conf import settings

SESSION_VOTER_KEY = "kb_voter"


def session_voter_key(request, *, create: bool) -> str:
    """The hashed vote key of an anonymous visitor's session; created (with the session) only when they vote."""
    from knowledgebase.services import voter_key_for

    if request.user.is_authenticated:
        return ""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and not create:
        return ""
    raw = request.session.get(SESSION_VOTER_KEY)
    if not raw and create:
        raw = secrets.token_urlsafe(24)
        request.session[SESSION_VOTER_KEY] = raw
    return voter_key_for(raw) if raw else ""

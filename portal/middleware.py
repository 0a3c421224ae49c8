"""Security headers (the site's Content-Security-Policy comes from django-csp) and the member's language."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.utils import translation

# The site's policy is django-csp's (settings.CONTENT_SECURITY_POLICY, with per-request nonces), which
# leaves out /admin/: Wagtail's admin relies on inline scripts, eval and its own frames (previews).
CSP_ADMIN = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self'; frame-src 'self' https:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, and the back office's own Content-Security-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        if request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", CSP_ADMIN)
            # Wagtail previews render the page in a same-origin iframe.
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response


class UserLanguageMiddleware:
    """A logged-in member without a language cookie sees their preferred language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.preferred_language
        ):
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)


def back_office_language_of(user) -> str:
    """The language the staff member chose for the back office (Wagtail's account setting), or "" when none."""
    from wagtail.users.models import UserProfile

    if not getattr(user, "is_authenticated", False):
        return ""
    language = UserProfile.objects.filter(user=user).values_list("preferred_language", flat=True).first() or ""
    return language if language in dict(settings.LANGUAGES) else ""


def back_office_language(view):
    """Staff pages outside /admin/ (the chat console, the KB review) speak the back office's language.

    Wagtail applies the staff member's back-office language under /admin/ only; these pages belong to the
    same work, so they follow it too (the member-facing language stays as it is when none was chosen).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        language = back_office_language_of(request.user)
        if not language:
            return view(request, *args, **kwargs)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response.headers["Content-Language"] = language
        return response

    return wrapped

"""Sends a signed-in account that owes a second factor to set-up or verification before anything else."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.two_factor.policy import is_verified, session_has_authenticator, staff_must_verify

# Pages an account that owes a second factor may still reach: set-up and verification themselves,
# signing out, language switching, assets and the load balancer's probe.
EXEMPT_PREFIXES = (
    "/account/two-factor/setup/",
    "/account/two-factor/verify/",
    "/account/two-factor/recovery-codes/",
    "/account/logout/",
    "/admin/logout/",
    "/i18n/",
    "/jsi18n/",
    "/healthz",
)


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware: staff (when required) and members who switched it on must verify."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        target = self.pending_step(request)
        if target is None:
            return self.get_response(request)
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"error": _("Two-factor sign-in needed."), "next": target}, status=403)
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def exempt(path: str) -> bool:
        return path.startswith((*EXEMPT_PREFIXES, settings.STATIC_URL, settings.MEDIA_URL))

    def pending_step(self, request) -> str | None:
        """The URL of the step the session owes (set-up or verification), or None."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or self.exempt(request.path):
            return None
        if session_has_authenticator(request):
            return None if is_verified(request) else reverse("two_factor_verify")
        if staff_must_verify(user):
            return reverse("two_factor_setup")
        return None

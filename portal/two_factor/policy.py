"""Who must present a second factor, and what the session remembers about it."""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.roles import Role, role_names

# Set at login (and when the member switches two-factor on or off in this session): whether the
# account has a confirmed authenticator, so a member without one costs no query per request.
ENABLED_SESSION_KEY = "two_factor_enabled"


def holds_staff_role(user) -> bool:
    """Any staff power: Django staff or superuser, or any staff role group (portal.roles.Role.STAFF)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or role_names(user) & set(Role.STAFF))


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_has_authenticator(request) -> bool:
    """The account's two-factor state as recorded in the session, read from the database once if missing."""
    enabled = request.session.get(ENABLED_SESSION_KEY)
    if enabled is None:
        enabled = has_authenticator(request.user)
        request.session[ENABLED_SESSION_KEY] = enabled
    return enabled


def remember_login(*, request, user) -> None:
    """At login: record whether the account has an authenticator; the new session is not verified yet."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[ENABLED_SESSION_KEY] = has_authenticator(user)


def is_verified(request) -> bool:
    """The session presented a second factor (django-otp's middleware checks the device still exists)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def staff_must_verify(user) -> bool:
    return settings.STAFF_2FA_REQUIRED and holds_staff_role(user)


def session_owes_second_factor(*, user, session) -> bool:
    """For connections without django-otp's middleware (WebSocket): must this session still verify?"""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    if not user.is_authenticated:
        return False
    enabled = session.get(ENABLED_SESSION_KEY)
    if enabled is None:
        enabled = has_authenticator(user)
    if not (enabled or staff_must_verify(user)):
        return False
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return not (device is not None and device.user_id == user.pk and device.confirmed)

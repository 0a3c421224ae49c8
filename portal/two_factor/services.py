"""Writes of two-factor sign-in: authenticator set-up, verification, recovery codes, switching off, reset."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.roles import Role, has_role
from portal.two_factor import events
from portal.two_factor.policy import ENABLED_SESSION_KEY, staff_must_verify

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def _normalise(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()[:16]


def authenticator_pending(*, user) -> TOTPDevice:
    """The unconfirmed authenticator being set up: its key is shown until a code from the app confirms it."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _recovery_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _index in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def authenticator_confirm(*, request, token: str) -> list[str]:
    """Confirm the pending authenticator with a code from the app; returns the new recovery codes (shown once).

    The session counts as verified with the new authenticator. A wrong code counts towards the
    device's throttling like any other attempt.
    """
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise ValidationError(_("Start the set-up again: no authenticator is waiting for confirmation."))
        allowed, _data = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(_("Too many wrong codes. Wait a moment, then try again."), code="throttled")
        if not device.verify_token(_normalise(token)):
            raise ValidationError(_("This code is not right. Enter the current code from your app."), code="invalid")
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user=user)
    otp_login(request, device)
    request.session[ENABLED_SESSION_KEY] = True
    return codes


def second_factor_verify(*, request, token: str):
    """Check a code from the authenticator or a recovery code (used up on success); the session becomes verified.

    Raises ValidationError for a wrong code and while the devices are throttled after wrong codes
    (django-otp doubles the wait after each failure).
    """
    user = request.user
    token = _normalise(token)
    if not token:
        raise ValidationError(_("Enter the code from your app or a recovery code."), code="invalid")
    model = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise ValidationError(_("This code is not right. Enter the current code from your app."), code="invalid")
        allowed, _data = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(_("Too many wrong codes. Wait a moment, then try again."), code="throttled")
        verified = device.verify_token(token)
    if not verified:
        raise ValidationError(_("This code is not right. Enter the current code from your app."), code="invalid")
    otp_login(request, device)
    return device


def recovery_codes_regenerate(*, request) -> list[str]:
    """New recovery codes for a verified session; the old ones stop working."""
    if not request.user.is_verified():
        raise PermissionDenied
    with transaction.atomic():
        return _recovery_codes_replace(user=request.user)


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def _devices_delete(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def second_factor_disable(*, request) -> None:
    """A member switches two-factor off (from a verified session); staff cannot while it is required."""
    user = request.user
    if not request.user.is_verified():
        raise PermissionDenied
    if staff_must_verify(user):
        raise ValidationError(_("Staff accounts must keep two-factor sign-in."))
    with transaction.atomic():
        _devices_delete(user=user)
    request.session[ENABLED_SESSION_KEY] = False


def second_factor_reset(*, actor, user, reason: str) -> None:
    """An administrator removes another account's authenticator and recovery codes (a lost phone); audited.

    The account sets up a new authenticator at its next request that needs one.
    """
    if not has_role(actor, Role.ADMINISTRATOR) or (staff_must_verify(actor) and not actor.is_verified()):
        raise PermissionDenied
    if actor.pk == user.pk:
        raise ValidationError(_("Ask another administrator to reset your own two-factor sign-in."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the two-factor sign-in is reset (for the audit log).")})
    with transaction.atomic():
        _devices_delete(user=user)
        events.second_factor_reset.send(actor=actor, user=user, reason=reason)

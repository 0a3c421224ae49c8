"""Reads of two-factor sign-in for its pages."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.roles import Role


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code (no image request leaves the page)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def staff_accounts_with_second_factor():
    """Every account holding a staff role, with whether it has a confirmed authenticator."""
    User = get_user_model()
    staff = Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=Role.STAFF)
    return (
        User.objects.filter(staff, is_active=True)
        .annotate(
            has_authenticator=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        )
        .distinct()
        .order_by("handle", "pk")  # addresses are encrypted at rest: the database cannot sort them
    )

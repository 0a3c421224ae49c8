"""Public profile pages, profile pictures, and the account's forms for the bio and the picture."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal import avatars, profiles
from portal.models import User

# What a handle can look like (portal.handles): anything else is no member, without asking the database.
HANDLE_IN_PATH = re.compile(r"[a-z0-9-]{1,40}")


@require_GET
def profile(request, handle: str):
    """A member's public page; 404 unless their ``public_profile`` consent is live now (asked on every request)."""
    found = profiles.profile_for(handle=handle) if HANDLE_IN_PATH.fullmatch(handle) else None
    if found is None:
        raise Http404(_("There is no public profile under this handle."))
    response = render(request, "portal/profile.html", {"profile": found, "member": found.member})
    response["Cache-Control"] = "no-store"  # a withdrawal takes the page down at once, in every cache too
    return response


def _picture_headers(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_GET
def avatar_file(request, token: str):
    """An uploaded picture, only while a member holds it, always as ``image/webp`` (it was re-encoded so)."""
    if not token.isalnum():
        raise Http404
    name = avatars.stored_name(token)
    if not User.objects.filter(avatar=name, erased_at__isnull=True).exists() or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type=avatars.CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{token}.webp"'
    # The name changes with each upload; a removed picture must not live long in shared caches.
    response["Cache-Control"] = "public, max-age=3600"
    return _picture_headers(response)


@require_GET
def default_avatar(request, key: str):
    """The generated picture for a handle's initial and colour; it names nobody, so it is cached for long."""
    svg = avatars.default_avatar_svg(key)
    if svg is None:
        raise Http404
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return _picture_headers(response)


def _account_section(anchor: str):
    return redirect(reverse("account") + anchor)


@login_required
@require_POST
def avatar_upload(request):
    """Upload a picture; Django streams a large file to a temporary file, and the service refuses it by its size."""
    try:
        avatars.user_avatar_set(user=request.user, upload=request.FILES.get("avatar"))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your profile picture is saved."))
    return _account_section("#avatar-heading")


@login_required
@require_POST
def avatar_remove(request):
    avatars.user_avatar_remove(user=request.user)
    messages.success(request, _("Your profile picture is removed; the generated one shows again."))
    return _account_section("#avatar-heading")

"""Back office: the login locks in force (portal.login_throttle), for administrators to see and lift."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import login_throttle

VIEW_PERMISSION = "axes.view_accessattempt"
LIFT_PERMISSION = "axes.delete_accessattempt"


def can_view_lockouts(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(VIEW_PERMISSION)))


def can_lift_lockouts(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(LIFT_PERMISSION)))


def lockout_index(request):
    if not can_view_lockouts(request.user):
        raise PermissionDenied
    return render(
        request,
        "portal/admin/lockout_index.html",
        {
            "page_title": _("Login lockouts"),
            "header_icon": "lock",
            "lockouts": login_throttle.lockouts_current(),
            "can_lift": can_lift_lockouts(request.user),
        },
    )


@require_POST
def lockout_lift(request):
    if not can_lift_lockouts(request.user):
        raise PermissionDenied
    ip_address = request.POST.get("ip_address", "")[:45]
    username = request.POST.get("username", "")[:254]
    if login_throttle.lockout_lift(ip_address=ip_address, username=username):
        messages.success(request, _("The lock is lifted."))
    else:
        messages.info(request, _("This lock had already ended."))
    return redirect("portal_admin:lockouts")


admin_patterns = [
    path("lockouts/", lockout_index, name="lockouts"),
    path("lockouts/lift/", lockout_lift, name="lockout_lift"),
]

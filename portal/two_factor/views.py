"""Pages of two-factor sign-in: set-up, verification, recovery codes, account settings, staff resets."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from portal.forms import add_service_errors
from portal.inputs import safe_next_url
from portal.roles import Role, has_role
from portal.two_factor import selectors, services
from portal.two_factor.forms import CodeForm, ResetForm, SetupCodeForm
from portal.two_factor.policy import ENABLED_SESSION_KEY, has_authenticator, is_verified, staff_must_verify

NEW_CODES_SESSION_KEY = "two_factor_new_codes"


def _next_url(request, default: str = "/") -> str:
    return safe_next_url(request.POST.get("next") or request.GET.get("next"), request=request, fallback=default)


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Scan the QR code (or type the key), confirm one code; the recovery codes follow."""
    if has_authenticator(request.user):
        if not is_verified(request):
            return redirect(f"{reverse('two_factor_verify')}?{request.GET.urlencode()}")
        return redirect("two_factor_manage")
    device = services.authenticator_pending(user=request.user)
    form = SetupCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.authenticator_confirm(request=request, token=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 429 if exc.code == "throttled" else 400
        else:
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(f"{reverse('two_factor_recovery_codes')}?{urlencode({'next': _next_url(request)})}")
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "qr_svg": selectors.qr_svg(device),
        "manual_key": selectors.manual_key(device),
        "required": staff_must_verify(request.user),
        "next": _next_url(request),
    }
    return render(request, "portal/two_factor/setup.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Enter the current code from the app, or one recovery code."""
    if is_verified(request):
        return redirect(_next_url(request))
    if not has_authenticator(request.user):
        # Reset by an administrator (or switched off in another session) since this session began.
        request.session[ENABLED_SESSION_KEY] = False
        if staff_must_verify(request.user):
            return redirect(f"{reverse('two_factor_setup')}?{request.GET.urlencode()}")
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.second_factor_verify(request=request, token=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 429 if exc.code == "throttled" else 400
        else:
            left = services.recovery_codes_left(user=request.user)
            if left <= 3:
                text = ngettext(
                    "Only %(count)d recovery code is left. Create new ones in your two-factor settings.",
                    "Only %(count)d recovery codes are left. Create new ones in your two-factor settings.",
                    left,
                )
                messages.warning(request, text % {"count": left})
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(request, "portal/two_factor/verify.html", {"form": form, "next": _next_url(request)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """The new recovery codes, shown once: download or print them, then continue."""
    codes = request.session.get(NEW_CODES_SESSION_KEY)
    if not codes:
        return redirect("two_factor_manage")
    if request.method == "POST":
        del request.session[NEW_CODES_SESSION_KEY]
        return redirect(_next_url(request, default=reverse("two_factor_manage")))
    return render(request, "portal/two_factor/recovery_codes.html", {"codes": codes, "next": _next_url(request)})


@login_required
def recovery_codes_download(request):
    codes = request.session.get(NEW_CODES_SESSION_KEY)
    if not codes:
        return redirect("two_factor_manage")
    text = _("Recovery codes for %(account)s. Each code works once.") % {"account": request.user.email}
    response = HttpResponse("\n".join([text, "", *codes, ""]), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def manage(request):
    """Account settings: whether two-factor sign-in is on, recovery codes left, new codes, switching off."""
    enabled = has_authenticator(request.user)
    context = {
        "enabled": enabled,
        "codes_left": services.recovery_codes_left(user=request.user) if enabled else 0,
        "required": staff_must_verify(request.user),
        "is_administrator": has_role(request.user, Role.ADMINISTRATOR),
    }
    return render(request, "portal/two_factor/manage.html", context)


@login_required
@require_POST
def recovery_codes_regenerate(request):
    codes = services.recovery_codes_regenerate(request=request)
    request.session[NEW_CODES_SESSION_KEY] = codes
    return redirect("two_factor_recovery_codes")


@login_required
@require_POST
def disable(request):
    try:
        services.second_factor_disable(request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("two_factor_manage")


@login_required
@require_http_methods(["GET", "POST"])
def staff_list(request):
    """Administrators: which staff accounts have two-factor sign-in, and resetting one (a lost phone)."""
    if not has_role(request.user, Role.ADMINISTRATOR):
        raise PermissionDenied
    form = ResetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        member = get_object_or_404(get_user_model(), pk=request.POST.get("user", ""))
        if form.is_valid():
            try:
                services.second_factor_reset(actor=request.user, user=member, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Two-factor sign-in of %(account)s is reset.") % {"account": member.email})
                return redirect("two_factor_staff")
        status = 400
    context = {"accounts": selectors.staff_accounts_with_second_factor(), "form": form}
    return render(request, "portal/two_factor/staff_list.html", context, status=status)

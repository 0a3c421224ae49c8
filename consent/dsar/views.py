"""Member-facing pages of exports and requests in the privacy centre: thin, they call services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.dsar import permissions, selectors, services
from consent.dsar.forms import AccountDeletionForm, CodeForm, MemberRequestForm, PasswordConfirmForm
from consent.dsar.models import AccessRequest
from consent.dsar.requests import InvalidTransition
from portal.ratelimit import RateLimited, hit, is_limited
from portal.roles import is_staff_member


def _page(request, *, export_form=None, request_form=None, status=200):
    user = request.user
    context = {
        "exports": selectors.exports_of(user=user),
        "requests": selectors.requests_of(user=user),
        "export_form": export_form or PasswordConfirmForm(user=user),
        "request_form": request_form or MemberRequestForm(user=user, prefix="req"),
    }
    return render(request, "dsar/my_requests.html", context, status=status)


@login_required
def my_requests(request):
    return _page(request)


@login_required
@require_POST
def export_create(request):
    form = PasswordConfirmForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, export_form=form, status=400)
    try:
        hit(f"dsar-export:{request.user.pk}", limit=5, window=3600)
    except RateLimited:
        messages.error(request, _("You asked for several exports within the hour; please wait a little."))
        return redirect("consent:dsar:mine")
    services.export_request(user=request.user)
    messages.success(request, _("Your export is being prepared. We will notify you when it is ready."))
    return redirect("consent:dsar:mine")


@login_required
@require_POST
def request_create(request):
    form = MemberRequestForm(request.POST, user=request.user, prefix="req")
    if not form.is_valid():
        return _page(request, request_form=form, status=400)
    created = services.request_create(
        member=request.user, kind=form.cleaned_data["kind"], actor=request.user, details=form.cleaned_data["details"]
    )
    messages.success(
        request,
        _("We received your request and will answer by %(date)s.")
        % {"date": formats.date_format(created.due_on, "DATE_FORMAT")},
    )
    return redirect("consent:dsar:mine")


@login_required
def export_download(request, export_id):
    export = permissions.access_export(request.user, export_id)
    if not export.is_available():
        return render(request, "dsar/export_gone.html", {"export": export}, status=410)
    path = services.export_path(export)
    if not path.exists():
        raise Http404
    services.export_download_record(export=export, actor=request.user)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"mydata-{export.created_at:%Y-%m-%d}.zip")


@login_required
@require_POST
def request_withdraw(request, request_id):
    found = permissions.access_own_request(request.user, request_id)
    try:
        services.request_withdraw(request=found, member=request.user)
        messages.success(request, _("Your request is withdrawn."))
    except InvalidTransition:
        messages.error(request, _("This request is already closed."))
    return redirect("consent:dsar:mine")


@require_http_methods(["GET", "POST"])
def verify(request, request_id):
    """Public on purpose: a request by letter is confirmed with the code mailed to the account's address."""
    found = get_object_or_404(AccessRequest, pk=request_id)
    form = CodeForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            hit(f"dsar-verify:{found.pk}", limit=20, window=3600)
            result = services.verification_check(request=found, code=form.cleaned_data["code"])
        except RateLimited:
            result = services.CodeResult.LOCKED
        except ValidationError:
            result = services.CodeResult.EXPIRED
    status = 200 if result in (None, services.CodeResult.OK) else 400
    return render(
        request,
        "dsar/verify.html",
        {"form": form, "result": result, "about_address": found.member_id is None},
        status=status,
    )


def _deletion_page(request, form, *, status=200, limited=False):
    context = {
        "form": form,
        "limited": limited,
        "grace_days": settings.ACCOUNT_DELETION_GRACE_DAYS,
        "is_staff": is_staff_member(request.user),
    }
    return render(request, "dsar/account_delete.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    """What deleting the account does, then password and a tick: locked at once, erased after the grace period."""
    user = request.user
    if request.method == "GET":
        return _deletion_page(request, AccountDeletionForm(user=user))
    # Wrong passwords count like failed logins, per account, so a stolen session cannot guess its way through.
    limit_key = f"dsar-delete-password:{user.pk}"
    limits = {"limit": settings.LOGIN_FAILURE_LIMIT, "window": settings.LOGIN_LOCKOUT_SECONDS}
    form = AccountDeletionForm(request.POST, user=user)
    if is_limited(limit_key, **limits):
        return _deletion_page(request, AccountDeletionForm(user=user), status=429, limited=True)
    if not form.is_valid():
        if form.has_error("password"):
            try:
                hit(limit_key, **limits)
            except RateLimited:
                pass  # the next attempt is refused before the password is checked
        return _deletion_page(request, form, status=400)
    try:
        deletion = services.account_deletion_request(member=user)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _deletion_page(request, form, status=400)
    logout(request)  # the service ended every stored session; this one's cookie goes too
    messages.success(
        request,
        _("Your account is locked and will be erased on %(date)s.")
        % {"date": formats.date_format(deletion.erase_after, "DATE_FORMAT")},
    )
    return redirect("consent:dsar:account_delete_done")


def account_delete_done(request):
    """Public on purpose: the member has just been signed out everywhere."""
    return render(request, "dsar/account_delete_done.html", {"grace_days": settings.ACCOUNT_DELETION_GRACE_DAYS})

"""The member's API token page: create (the secret shown once), list with last use, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_POST

from api import permissions, selectors, services
from api.forms import PersonalTokenForm, expiry_from
from api.models import TokenKind
from api.problems import problem

API_PREFIX = "/api/"


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    if not permissions.can_create_personal_token(request.user):
        raise PermissionDenied
    form = PersonalTokenForm(request.POST or None)
    secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, secret = services.token_create(
                    kind=TokenKind.PERSONAL,
                    name=form.cleaned_data["name"],
                    user=request.user,
                    scopes=[form.cleaned_data["scope"]],
                    expires_at=expiry_from(form.cleaned_data["expires"]),
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                form = PersonalTokenForm()
        else:
            status = 400
    context = {"form": form, "secret": secret, "tokens": selectors.tokens_of(user=request.user)}
    return render(request, "api/token_list.html", context, status=status)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = permissions.access_own_token(request.user, token_id)
    if services.token_revoke(token=token, by=request.user):
        messages.success(request, _("The token “%(name)s” is revoked and stops working now.") % {"name": token.name})
    return redirect("api_tokens")


def bad_request(request, exception=None):
    """The site's 400 page; under /api/ a problem document, as the API's own errors are."""
    if request.path.startswith(API_PREFIX):
        return problem(request, 400, _("The request could not be read."))
    return defaults.bad_request(request, exception)

"""Back office: administrators issue and revoke integration tokens (mounted by wagtail_hooks)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from api import permissions, selectors, services
from api.forms import IntegrationTokenForm, expiry_from
from api.models import ApiToken, TokenKind


class IntegrationTokensView(WagtailAdminTemplateMixin, TemplateView):
    """The integrations list with the form that issues a token; the secret appears once, after creating."""

    page_title = _("API integrations")
    header_icon = "key"
    template_name = "api/admin/integrations.html"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_manage_integrations(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", IntegrationTokenForm())
        context["tokens"] = list(selectors.integration_tokens())
        return context

    def post(self, request):
        form = IntegrationTokenForm(request.POST)
        secret = None
        if form.is_valid():
            try:
                _token, secret = services.token_create(
                    kind=TokenKind.INTEGRATION,
                    name=form.cleaned_data["name"],
                    user=form.cleaned_data["user"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=expiry_from(form.cleaned_data["expires"]),
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                form = IntegrationTokenForm()
        status = 200 if secret else 400
        return self.render_to_response(self.get_context_data(form=form, secret=secret), status=status)


def integration_revoke(request, token_id: int):
    if request.method != "POST" or not permissions.can_manage_integrations(request.user):
        raise PermissionDenied
    token = get_object_or_404(ApiToken, pk=token_id, kind=TokenKind.INTEGRATION)
    if services.token_revoke(token=token, by=request.user):
        messages.success(request, _("The integration token is revoked."))
    return redirect("api_admin:integrations")

"""Back office: the "API integrations" menu item for administrators."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from api import admin_views, permissions

admin_patterns = (
    [
        path("", admin_views.IntegrationTokensView.as_view(), name="integrations"),
        path("<int:token_id>/revoke/", admin_views.integration_revoke, name="integration_revoke"),
    ],
    "api_admin",
)


@hooks.register("register_admin_urls")
def register_urls():
    return [path("api/integrations/", include(admin_patterns))]


class IntegrationsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_manage_integrations(request.user)


@hooks.register("register_settings_menu_item")
def register_menu_item():
    return IntegrationsMenuItem(_("API integrations"), reverse("api_admin:integrations"), icon_name="key", order=900)

"""Back office: the Webhooks menu item (administrators only) and its views."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from api.webhooks import admin_views, permissions

admin_patterns = [
    path("", admin_views.subscription_index, name="index"),
    path("add/", admin_views.subscription_add, name="add"),
    path("<int:subscription_id>/", admin_views.subscription_detail, name="detail"),
    path("<int:subscription_id>/edit/", admin_views.subscription_edit, name="edit"),
    path("<int:subscription_id>/secret/", admin_views.subscription_reveal, name="reveal"),
    path("<int:subscription_id>/secret/rotate/", admin_views.subscription_rotate, name="rotate"),
    path("<int:subscription_id>/test/", admin_views.subscription_test, name="test"),
    path("<int:subscription_id>/pause/", admin_views.subscription_pause, name="pause"),
    path("<int:subscription_id>/resume/", admin_views.subscription_resume, name="resume"),
    path("<int:subscription_id>/delete/", admin_views.subscription_delete, name="delete"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("webhooks/", include((admin_patterns, "webhooks_admin"), namespace="webhooks_admin"))]


class WebhooksMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_manage_webhooks(request.user)


@hooks.register("register_settings_menu_item")
def register_webhooks_menu():
    return WebhooksMenuItem(_("Webhooks"), reverse("webhooks_admin:index"), icon_name="link", order=700)

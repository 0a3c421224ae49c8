"""The DPO console's place in the back office: its URLs, a menu item only the DPO sees, and DPO role changes."""

from __future__ import annotations

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from consent.dsar import admin_views, permissions, services
from consent.dsar.services.dpo_role import in_dpo_role

admin_patterns = (
    [
        path("", admin_views.RequestListView.as_view(), name="console"),
        path("new/", admin_views.RequestCreateView.as_view(), name="create"),
        path("new/address/", admin_views.AddressRequestCreateView.as_view(), name="create_address"),
        path("<uuid:request_id>/", admin_views.RequestDetailView.as_view(), name="detail"),
        path("retention/", admin_views.RetentionView.as_view(), name="retention"),
        path("retention/<str:code>/", admin_views.RetentionPolicyView.as_view(), name="retention_policy"),
    ],
    "dsar_admin",
)


@hooks.register("register_admin_urls")
def register_urls():
    return [path("access-requests/", include(admin_patterns))]


class ConsoleMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_manage_requests(request.user)


@hooks.register("register_admin_menu_item")
def register_console_menu():
    return ConsoleMenuItem(
        _("Access requests"),
        reverse("dsar_admin:console"),
        icon_name="folder-inverse",
        order=905,
        name="access-requests",
    )


class RetentionMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_manage_retention(request.user)


@hooks.register("register_admin_menu_item")
def register_retention_menu():
    return RetentionMenuItem(
        _("Retention"),
        reverse("dsar_admin:retention"),
        icon_name="bin",
        order=906,
        name="retention",
    )


# Roles are granted by editing a user's groups in the back office; the change is audited and told to the DPOs.
@hooks.register("before_edit_user")
def remember_dpo_role(request, user):
    if request.method == "POST":
        request.dsar_was_dpo = in_dpo_role(user)


@hooks.register("after_edit_user")
def record_dpo_role_edit(request, user):
    services.dpo_role_changed(user=user, actor=request.user, was_dpo=getattr(request, "dsar_was_dpo", False))


@hooks.register("after_create_user")
def record_dpo_role_create(request, user):
    services.dpo_role_changed(user=user, actor=request.user, was_dpo=False)

"""Back office: the shell's pages (login lockouts under Settings)."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from portal import admin_lockouts


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("portal/", include((admin_lockouts.admin_patterns, "portal_admin"), namespace="portal_admin"))]


class LockoutsMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_lockouts.can_view_lockouts(request.user)


@hooks.register("register_settings_menu_item")
def register_lockouts_menu_item():
    return LockoutsMenuItem(_("Login lockouts"), reverse("portal_admin:lockouts"), icon_name="lock", order=900)


@hooks.register("after_edit_user")
def display_name_follows_role(request, user):
    """An account edited out of every staff role loses its display name, so the Team badge never outlives the role."""
    from portal.services import user_display_name_reconcile

    user_display_name_reconcile(user=user)


@hooks.register("get_avatar_url")
def member_avatar_url(user, size):
    """The back office shows the member's own picture or the generated one: never Gravatar, never a broken image."""
    from portal.avatars import avatar_url

    return avatar_url(user)

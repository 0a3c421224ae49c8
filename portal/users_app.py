"""Wagtail's users app with the portal's user views (``portal.users_admin``): INSTALLED_APPS names this config."""

from wagtail.users.apps import WagtailUsersAppConfig


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's back-office users, listed and searched the way encrypted addresses and names allow."""

    user_viewset = "portal.users_admin.UserViewSet"

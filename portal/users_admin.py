"""The back office's member list and forms, for addresses and names that are encrypted at rest.

The database cannot search or sort encrypted columns: the list searches handles and display names
as text and an e-mail address as an exact match of its blind index (any letter case), sorts by
handle, and shows the decrypted address and name of each row. The forms check a taken address
through the blind index too.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.functional import cached_property
from wagtail.admin.forms.auth import PasswordResetForm as WagtailPasswordResetForm
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users

from portal.encrypted_fields import blind_index
from portal.forms import BlindIndexResetMixin

# Columns the database would sort by ciphertext.
ENCRYPTED_SORT_KEYS = {"name", "email", "first_name", "last_name"}


def member_search(queryset, query: str):
    """Members whose handle or display name contains ``query``, or whose address is exactly ``query``."""
    query = query.strip()
    handle = query.lstrip("@")
    address = blind_index(get_user_model(), "email", query)
    return queryset.filter(Q(handle__icontains=handle) | Q(display_name__icontains=query) | Q(email_index=address))


class _TakenAddress:
    """Wagtail checks a taken username with ``filter(email=...)``; the address is found by its blind index."""

    def _clean_username(self):
        if "email" not in self.cleaned_data:
            return None
        email = self.cleaned_data["email"]
        users = get_user_model()._default_manager.with_email(email)
        if self.instance.pk is not None:
            users = users.exclude(pk=self.instance.pk)
        if users.exists():
            self.add_error("email", self.error_messages["duplicate_username"])
        return email


class MemberCreationForm(_TakenAddress, UserCreationForm):
    """Wagtail's "Add a user" form."""


class MemberEditForm(_TakenAddress, UserEditForm):
    """Wagtail's user edit form."""


class AdminPasswordResetForm(BlindIndexResetMixin, WagtailPasswordResetForm):
    """The back office's "forgot password" form (WAGTAILADMIN_USER_PASSWORD_RESET_FORM)."""


class UserIndexView(wagtail_users.IndexView):
    """Wagtail's user list: search and sort only what the database can compare."""

    @cached_property
    def columns(self):
        columns = super().columns
        for column in columns:
            if getattr(column, "sort_key", None) in ENCRYPTED_SORT_KEYS:
                column.sort_key = None
        return columns

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return member_search(queryset, self.search_query)


class UserViewSet(wagtail_users.UserViewSet):
    """Wagtail's users in the back office, sorted by handle."""

    ordering = "handle"
    index_view_class = UserIndexView

    def get_form_class(self, for_update=False):
        return MemberEditForm if for_update else MemberCreationForm

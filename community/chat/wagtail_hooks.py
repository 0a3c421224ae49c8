"""Back office: a menu entry to the chat console for moderators (settings and canned replies register themselves)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from community.chat.permissions import is_chat_moderator


class ConsoleMenuItem(MenuItem):
    def is_shown(self, request):
        return is_chat_moderator(request.user)


@hooks.register("register_admin_menu_item")
def register_chat_console_menu_item():
    return ConsoleMenuItem(_("Chat console"), reverse("chat:console"), icon_name="mail", order=260)

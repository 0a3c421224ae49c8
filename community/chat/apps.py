from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Live support chat: part of the community area, with its own tables and migrations."""

    name = "community.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self):
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        register_kind("chat.answer", _("Answers to my chat messages"), email_default=True)
        register_kind("chat.assigned", _("Chats transferred to me"))
        staff = ("chat.add_cannedreply", "chat.change_cannedreply", "chat.delete_cannedreply", "chat.view_cannedreply")
        grant(Role.MODERATOR, *staff)
        grant(Role.ADMINISTRATOR, *staff, "chat.change_chatsettings", "chat.view_chatsettings")
        _schedule()


def _schedule():
    from datetime import timedelta

    from community.chat import tasks
    from portal import schedule

    schedule.register("chat.retention", task=tasks.chat_retention, every=timedelta(days=1))

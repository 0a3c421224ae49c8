from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community"

    def ready(self):
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        register_kind("community.reply", _("Replies to my threads"), email_default=True)
        register_kind("community.accepted", _("My answer was accepted"), email_default=True)
        register_kind("community.mention", _("Someone mentioned me"), email_default=True)
        register_kind("community.moderation", _("Moderation of my posts or account"), email_default=True)
        grant(
            Role.MODERATOR,
            "community.work_moderation_queue",
            "community.moderate_forum",
            "community.view_forum",
            "community.add_forum",
            "community.change_forum",
            "community.change_moderationsettings",
        )
        grant(
            Role.ADMINISTRATOR,
            "community.work_moderation_queue",
            "community.add_forum",
            "community.change_forum",
            "community.change_moderationsettings",
        )
        grant(Role.EDITOR, "taggit.add_tag")

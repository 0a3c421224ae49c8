from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community"

    def ready(self):
        from community import notices as community_notices
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        register_processor(
            "community.notifications",
            purpose=None,
            legal_basis=LegalBasis.CONTRACT,
            description=_("Notifications and their mail about replies, accepted answers and mentions."),
            kind=ProcessorKind.MAIL,
        )
        register_processor(
            "community.moderation_notices",
            purpose=None,
            legal_basis=LegalBasis.LEGAL_OBLIGATION,
            description=_("The statement of reasons for a moderation decision (Digital Services Act, Art. 17)."),
            kind=ProcessorKind.MAIL,
            serves_request=True,
        )
        notices = "community.notifications"
        community_notices.register_messages()
        register_kind("community.reply", _("Replies to my threads"), processor=notices, email_default=True)
        register_kind("community.accepted", _("My answer was accepted"), processor=notices, email_default=True)
        register_kind("community.mention", _("Someone mentioned me"), processor=notices, email_default=True)
        register_kind(
            "community.moderation",
            _("Moderation of my posts or account"),
            processor="community.moderation_notices",
            email_default=True,
        )
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
        _schedule()


def _schedule():
    from datetime import timedelta

    from community import tasks
    from portal import schedule

    # Nothing else runs Wagtail's scheduled publishing: without it a scheduled blog post never goes live.
    schedule.register("community.publish_scheduled", task=tasks.publish_scheduled, every=timedelta(minutes=1))

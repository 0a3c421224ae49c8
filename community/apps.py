from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community"

    def ready(self):
        from community import notices as community_notices
        from community import profile_section
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
        # Mail only when the member asks for it in their settings: watching a busy forum would flood the inbox.
        register_kind("community.watching", _("Threads, forums and tags I watch"), processor=notices)
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
        profile_section.register()
        _register_drafts_and_uploads()


def _schedule():
    from datetime import timedelta

    from community import tasks
    from portal import schedule

    # Nothing else runs Wagtail's scheduled publishing: without it a scheduled blog post never goes live.
    schedule.register("community.publish_scheduled", task=tasks.publish_scheduled, every=timedelta(minutes=1))


def _register_drafts_and_uploads():
    """Drafts and uploads into posts follow the DPO's retention policies; an erasure takes the uploads out of posts."""
    from django.conf import settings

    from community.services import drafts
    from consent import retention
    from consent.dsar.events import member_erased

    retention.register(
        "community.drafts",
        label=_("Drafts of replies and questions"),
        description=_("Drafts nobody changed for this many days."),
        default_days=settings.DRAFT_RETENTION_DAYS,
        min_days=1,
        preview=lambda cutoff: drafts.drafts_due(cutoff).count(),
        apply=lambda cutoff: drafts.drafts_purge(cutoff=cutoff),
        order=70,
    )
    retention.register(
        "community.post_images",
        label=_("Uploaded images never posted"),
        description=_(
            "Images uploaded in the editor but not in any post (never posted, or the post is gone), this many "
            "days after the upload. Images in posts stay as long as their post."
        ),
        default_days=1,
        min_days=1,
        preview=lambda cutoff: drafts.post_images_unattached_due(cutoff).count(),
        apply=lambda cutoff: drafts.post_images_purge(cutoff=cutoff),
        order=71,
    )

    member_erased.connect(_on_member_erased)


def _on_member_erased(*, user_id: int, **kwargs) -> None:
    from community import tasks
    from portal.events import enqueue_on_commit

    enqueue_on_commit(tasks.post_images_after_erasure, user_id=user_id)

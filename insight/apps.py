from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    """Aggregates, mood and topics of what members write, without profiling anyone."""

    name = "insight"
    verbose_name = _("Insight")

    def ready(self):
        from datetime import timedelta

        from community import events as community_events
        from community.chat import events as chat_events
        from consent.dsar.events import processing_restricted
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from ideas import events as idea_events
        from insight import alerts, receivers, tasks
        from knowledgebase import events as kb_events
        from portal import schedule
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        register_processor(
            "insight.content_analysis",
            purpose=None,
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
            description=_(
                "Language, mood label and keywords of posts, ideas, comments and chat lines, shown to staff only "
                "as aggregates of at least five members (service quality, frequent questions); no profiles."
            ),
            kind=ProcessorKind.DERIVE,
        )
        register_processor(
            "insight.staff_notices",
            purpose=None,
            legal_basis=LegalBasis.CONTRACT,
            description=_("Insight alerts and the weekly digest of aggregate figures to staff who asked for them."),
            kind=ProcessorKind.MAIL,
        )
        register_kind(
            "insight.alert",
            _("Negative mood rising in a forum or product"),
            processor="insight.staff_notices",
            roles=(Role.MODERATOR,),
        )
        alerts.register_messages()
        community_events.post_created.connect(receivers.on_post_created)
        community_events.post_edited.connect(receivers.on_post_edited)
        idea_events.idea_created.connect(receivers.on_idea_created)
        idea_events.comment_created.connect(receivers.on_comment_created)
        chat_events.message_posted.connect(receivers.on_message_posted)
        kb_events.suggestions_shown.connect(receivers.on_suggestions_shown)
        processing_restricted.connect(receivers.on_processing_stopped)
        schedule.register("insight.alerts", task=tasks.negative_share_alerts, every=timedelta(hours=1))
        schedule.register("insight.digests", task=tasks.weekly_digests, every=timedelta(days=1))
        schedule.register("insight.refresh", task=tasks.recent_days_refresh, every=timedelta(days=1))
        insight = ("insight.view_insight",)
        grant(Role.MODERATOR, *insight)
        grant(Role.PRODUCT_MANAGER, *insight)
        grant(Role.ADMINISTRATOR, *insight)

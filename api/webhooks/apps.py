from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Outbound webhooks: administrators subscribe URLs to domain events; deliveries are signed and retried."""

    name = "api.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from api.webhooks import notices, receivers, selectors
        from community import events as community_events
        from consent.events import consent_changed
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from consent.pseudonyms import add_recipient_source
        from crm import events as crm_events
        from ideas import events as idea_events
        from knowledgebase import events as kb_events
        from portal.roles import Role, grant

        community_events.post_created.connect(receivers.on_post_created)
        community_events.thread_tagged.connect(receivers.on_thread_tagged)
        community_events.answer_accepted.connect(receivers.on_answer_accepted)
        idea_events.idea_created.connect(receivers.on_idea_created)
        idea_events.idea_status_changed.connect(receivers.on_idea_status_changed)
        crm_events.card_created.connect(receivers.on_card_created)
        crm_events.card_processed.connect(receivers.on_card_processed)
        consent_changed.connect(receivers.on_consent_changed)
        kb_events.article_published.connect(receivers.on_article_published)
        add_recipient_source(selectors.pseudonym_recipients)
        register_processor(
            "webhooks.delivery",
            purpose=None,
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
            description=_(
                "Signed webhooks to the company's other tools about public community events; "
                "members appear only under a pseudonym of each subscriber."
            ),
            kind=ProcessorKind.TRANSFER,
        )
        notices.register()
        grant(
            Role.ADMINISTRATOR,
            "webhooks.view_webhooksubscription",
            "webhooks.add_webhooksubscription",
            "webhooks.change_webhooksubscription",
            "webhooks.delete_webhooksubscription",
            "webhooks.view_webhookdelivery",
        )
        _schedule()


def _schedule():
    from datetime import timedelta

    from api.webhooks import tasks
    from portal import schedule

    schedule.register("webhooks.sweep", task=tasks.sweep_deliveries, every=timedelta(minutes=1))

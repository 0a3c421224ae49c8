from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from community import events as community_events
        from community.chat import events as chat_events
        from consent.dsar.events import member_erased
        from consent.dsar.selectors import add_erasure_recipient_source
        from consent.events import consent_changed
        from consent.models import AUDIT_ACTIONS
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from consent.pseudonyms import add_recipient_source
        from crm import payloads, receivers, selectors
        from ideas import events as idea_events
        from portal.roles import Role, grant

        community_events.thread_tagged.connect(receivers.on_thread_tagged)
        community_events.post_created.connect(receivers.on_post_created)
        chat_events.chat_tagged.connect(receivers.on_chat_tagged)
        idea_events.idea_tagged.connect(receivers.on_idea_tagged)
        consent_changed.connect(receivers.on_consent_changed)
        member_erased.connect(receivers.on_member_erased)
        add_recipient_source(payloads.pseudonym_recipients)
        add_erasure_recipient_source(selectors.erasure_recipients)
        # Cards are sales follow-up: an objection to direct marketing stops them, like a restriction.
        register_processor(
            "crm.cards",
            purpose="crm_followup",
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
            description=_("Interest cards derived from tagged threads, chats and ideas."),
            kind=ProcessorKind.DERIVE,
        )
        register_processor(
            "crm.delivery",
            purpose="crm_followup",
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
            description=_("Pushing interest cards to the CRM (the identity only with live consent)."),
            kind=ProcessorKind.TRANSFER,
        )
        _schedule()
        _register_retention_copies()
        # How the member's access log ("who accessed my data") names a card seen with the member's identity.
        AUDIT_ACTIONS.setdefault("crm_card_view", _("opened a CRM follow-up card with your name and e-mail"))
        staff = (
            "crm.view_interestcard",
            "crm.claim_interestcard",
            "crm.view_outboxmessage",
            "crm.retry_outboxmessage",
        )
        grant(Role.MODERATOR, *staff)
        grant(
            Role.ADMINISTRATOR,
            *staff,
            "crm.view_tagrule",
            "crm.add_tagrule",
            "crm.change_tagrule",
            "crm.delete_tagrule",
            "crm.view_crmconnection",
            "crm.add_crmconnection",
            "crm.change_crmconnection",
            "crm.delete_crmconnection",
        )


def _register_retention_copies():
    """A card made from a chat copies its lines: when retention removes the chat, the card's text goes too."""
    from django.utils.translation import ngettext_lazy

    from consent import retention
    from crm.models import SourceType
    from crm.services import retention_copies

    retention.register_copy(
        "chat",
        code="crm.card_texts",
        label=ngettext_lazy("%(count)s CRM card text", "%(count)s CRM card texts", "count"),
        count=lambda ids: retention_copies.cards_from(source_type=SourceType.CHAT, source_ids=ids).count(),
        purge=lambda ids: retention_copies.card_texts_purge(source_type=SourceType.CHAT, source_ids=ids),
        order=10,
    )


def _schedule():
    from datetime import timedelta

    from crm import tasks
    from portal import schedule

    schedule.register("crm.sweep", task=tasks.sweep_outbox, every=timedelta(minutes=1))
    schedule.register("crm.poll", task=tasks.poll_connections, every=timedelta(minutes=5))

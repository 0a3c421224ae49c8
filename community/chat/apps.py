from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Live support chat: part of the community area, with its own tables and migrations."""

    name = "community.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self):
        from community.chat import bot
        from community.chat.models import BotSourceKind
        from community.extensions import add_bot_answer_source
        from consent.models import AUDIT_ACTIONS
        from consent.processors import LegalBasis, ProcessorKind, register_processor
        from portal.notifications import register_kind
        from portal.roles import Role, grant

        register_processor(
            "chat.notifications",
            purpose=None,
            legal_basis=LegalBasis.CONTRACT,
            description=_("Notifications and their mail to moderators about chats handed to them."),
            kind=ProcessorKind.MAIL,
        )
        register_processor(
            "chat.transcript",
            purpose="chat_transcript",
            legal_basis=LegalBasis.CONSENT,
            description=_("Keeping a closed chat's transcript beyond the short retention period."),
            kind=ProcessorKind.DERIVE,
        )
        register_kind(
            "chat.assigned",
            _("Chats transferred to me"),
            processor="chat.notifications",
            roles=(Role.MODERATOR, Role.ADMINISTRATOR),
        )
        staff = ("chat.add_cannedreply", "chat.change_cannedreply", "chat.delete_cannedreply", "chat.view_cannedreply")
        grant(Role.MODERATOR, *staff)
        grant(Role.ADMINISTRATOR, *staff, "chat.change_chatsettings", "chat.view_chatsettings")
        _register_retention()
        # The help bot answers from the forum's accepted answers (knowledgebase adds its articles).
        add_bot_answer_source(BotSourceKind.FORUM_ANSWER, bot.forum_answers)
        # How the member's access log ("who accessed my data") names staff views of a chat.
        AUDIT_ACTIONS.setdefault("chat_view", _("opened your support chat"))
        AUDIT_ACTIONS.setdefault("chat_transcript", _("downloaded your chat transcript"))


def _register_retention():
    """The chat's transcripts follow the DPO's retention policies (enforced by the daily ``dsar.retention`` run).

    Chats are a retention source kind: whatever another app copied from a chat (a CRM card's text, the
    member's export file) is purged in the same run as the chat.
    """
    from django.utils.translation import ngettext_lazy

    from community.chat import services
    from consent import retention

    retention.register_source(
        "chat",
        model="chat.Chat",
        member="member",
        label=ngettext_lazy("%(count)s chat", "%(count)s chats", "count"),
    )
    retention.register(
        "chat.transcripts",
        label=_("Chat transcripts without consent"),
        description=_(
            "Closed chats whose member did not agree to keeping the transcript, this many days after closing."
        ),
        default_days=services.retention_days(),
        min_days=1,
        source="chat",
        source_ids=lambda cutoff: services.retention_ids(cutoff=cutoff, consented=False),
        remove=lambda ids: services.chat_retention_remove(ids=ids),
        order=10,
    )
    retention.register(
        "chat.transcripts_consented",
        label=_("Chat transcripts kept with consent"),
        description=_("Closed chats kept with the member's chat_transcript consent, this many days after closing."),
        default_days=services.consented_retention_days(),
        min_days=1,
        source="chat",
        source_ids=lambda cutoff: services.retention_ids(cutoff=cutoff, consented=True),
        remove=lambda ids: services.chat_retention_remove(ids=ids),
        order=11,
    )

"""Demo content of the chat: business hours (off, so the demo chat is always open), the "Support" forum that takes
offline messages, canned replies, one closed chat."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

CANNED = [
    ("Greeting", "Hello! Thanks for reaching out. Let me have a look.", "en"),
    ("Begrüßung", "Hallo! Danke für Ihre Nachricht. Ich schaue mir das gleich an.", "de"),
    ("Invoice", "You find all invoices under **Account › Billing**. Each one can be downloaded as PDF.", "en"),
    ("Rechnung", "Alle Rechnungen finden Sie unter **Konto › Abrechnung**, jeweils als PDF.", "de"),
    ("Anything else?", "Is there anything else I can help you with?", ""),
]


def seed(*, stdout) -> list[str]:
    """Create or refresh the chat demo content (idempotent)."""
    from community.chat.models import CannedReply, Chat, ChatSettings
    from community.chat.services import chat_close, chat_start, chat_take, message_post
    from community.models import Forum
    from portal.models import User

    config = ChatSettings.load()
    if config.mon_opens is None:
        for day in ("mon", "tue", "wed", "thu", "fri"):
            setattr(config, f"{day}_opens", time(8, 0))
            setattr(config, f"{day}_closes", time(18, 0))
        config.hours_enabled = False
        config.save()
    if config.offline_forum_id is None:
        support, _created = Forum.objects.get_or_create(
            slug="support",
            defaults={
                "name": "Support",
                "description": "Questions for the support team. Messages sent outside chat hours land here privately.",
                "name_de": "Support",
                "description_de": "Fragen an das Support-Team. Nachrichten außerhalb der Chat-Zeiten landen hier, "
                "nur für Sie sichtbar.",
                "order": 900,
            },
        )
        config.offline_forum = support
        config.save(update_fields=["offline_forum"])
    for title, body, language in CANNED:
        CannedReply.objects.get_or_create(title=title, defaults={"body": body, "language": language})
    member = User.objects.with_email("customer2@example.com").first()
    moderator = User.objects.with_email("moderator@example.com").first()
    if member and moderator and not Chat.objects.filter(member=member).exists():
        started = timezone.now() - timedelta(days=2)
        chat = chat_start(
            member=member, topic="Export to CSV fails", body="My CSV export stops at 1,000 rows.", now=started
        )
        chat_take(chat=chat, moderator=moderator, now=started + timedelta(minutes=1))
        message_post(chat=chat, author=moderator, body="Exports are paged: use **Export all** to get every row.")
        message_post(chat=chat, author=member, body="That worked, thank you!")
        chat_close(chat=chat, actor=moderator)
    stdout.write("chat: business hours, the Support forum for offline messages, canned replies and a closed demo chat")
    return []

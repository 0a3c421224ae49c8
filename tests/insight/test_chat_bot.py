"""The "Chat bot" figures of the service dashboard: answers, helped, handed over, with small groups suppressed."""

from __future__ import annotations

from community import extensions
from community.chat import services
from community.chat.models import BotAnswer
from insight import dashboards
from insight.reports import Filters, period_last_days
from portal.roles import Role
from tests.factories import make_member


def _export_article(query: str, language: str, limit: int) -> list[dict]:
    """A bot source with one article that fully covers every question (the slot as knowledgebase fills it)."""
    return [
        {"id": 7, "title": "Export large projects", "url": "/kb/export/", "extract": "In the background.", "score": 1.0}
    ]


def _figures() -> list[list[str]]:
    result = dashboards.service(period_last_days(30), Filters())
    table = next(t for t in result["tables"] if t.key == "service_chat_bot")
    return [[cell.text for cell in row] for row in table.rows]


def test_chat_bot_figures_count_answers_feedback_and_hand_overs(db, monkeypatch):
    """Six answers in six members' chats: four helped, two did not and went to a person; groups of < 5 hidden."""
    monkeypatch.setattr(extensions, "BOT_ANSWER_SOURCES", {"kb_article": _export_article})
    chats = []
    for _n in range(6):
        member = make_member(role=Role.CUSTOMER)
        chats.append((member, services.chat_start(member=member, topic="Exports", body="How do I export it all?")))
    for member, chat in chats[:4]:
        answer = BotAnswer.objects.get(chat=chat)
        services.bot_feedback_record(chat=chat, member=member, answer_id=answer.pk, helped=True)
    for member, chat in chats[4:]:
        answer = BotAnswer.objects.get(chat=chat)
        services.bot_feedback_record(chat=chat, member=member, answer_id=answer.pk, helped=False)
        services.chat_handover(chat=chat, member=member)
    assert _figures() == [
        ["Answers given", "6"],
        ["Helped", "< 5"],
        ["Did not help", "< 5"],
        ["No feedback", "0"],
        ["Chats with a bot answer", "6"],
        ["Chats handed over to a person", "< 5"],
    ]
    for _n in range(3):
        member = make_member(role=Role.CUSTOMER)
        chat = services.chat_start(member=member, topic="Exports", body="How do I export it all?")
        answer = BotAnswer.objects.get(chat=chat)
        services.bot_feedback_record(chat=chat, member=member, answer_id=answer.pk, helped=False)
        services.chat_handover(chat=chat, member=member)
    assert _figures() == [
        ["Answers given", "9"],
        ["Helped", "< 5"],
        ["Did not help", "5"],
        ["No feedback", "0"],
        ["Chats with a bot answer", "9"],
        ["Chats handed over to a person", "5"],
    ]

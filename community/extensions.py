"""Slots other apps fill at start-up so community never imports them (DESIGN.md §5).

knowledgebase/ adds "answered in the knowledge base" to the thread page and article
suggestions to the ask form; each panel is a template rendered with the page's context.
It also suggests articles to a member waiting in the live chat, and answers for the chat's help bot.
"""

from __future__ import annotations

from collections.abc import Callable

SLOTS: dict[str, list[str]] = {"thread_page": [], "ask_form": []}

# (text, limit) -> [{"title": ..., "url": ...}, ...]
ChatSuggester = Callable[[str, int], list[dict]]
CHAT_SUGGESTERS: list[ChatSuggester] = []


# (text, language, limit) -> [BotCandidate-like dicts, best first]: what the chat's help bot may answer with.
# Each dict: {"kind": str, "id": int, "title": str, "url": str, "extract": str, "score": float in 0..1}.
BotAnswerSource = Callable[[str, str, int], list[dict]]
BOT_ANSWER_SOURCES: dict[str, BotAnswerSource] = {}


def add_panel(slot: str, template_name: str) -> None:
    """Render ``template_name`` in ``slot`` of community pages (idempotent)."""
    if template_name not in SLOTS[slot]:
        SLOTS[slot].append(template_name)


def add_chat_suggester(suggester: ChatSuggester) -> None:
    """Offer ``suggester``'s links to a member who writes in the live chat (idempotent)."""
    if suggester not in CHAT_SUGGESTERS:
        CHAT_SUGGESTERS.append(suggester)


def add_bot_answer_source(kind: str, source: BotAnswerSource) -> None:
    """Let the chat's help bot answer with ``source``'s matches, stored as ``kind`` (idempotent per kind)."""
    BOT_ANSWER_SOURCES[kind] = source

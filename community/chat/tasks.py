"""Background work of the chat: the daily retention run."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="privacy")
def chat_retention() -> int:
    """Delete closed chats past their retention (short without the member's ``chat_transcript`` consent)."""
    from community.chat.services import chat_retention_run

    return chat_retention_run()

"""Classification of the chat's models in the personal-data registry."""

from consent.registry import Erasure, not_personal, register

register(
    "chat.Chat",
    subject="member",
    category="chats",
    export_fields=(
        "topic",
        "status",
        "created_at",
        "taken_at",
        "closed_at",
        "transcript_kept",
        "thread",
    ),
    erasure=Erasure.DELETE,
    reason=(
        "A member's support chats go with the member; the retention command deletes them earlier without consent. "
        "An offline message's row holds no text of its own, only the topic and the private thread it became, "
        "which is exported and erased with the member's threads and posts."
    ),
)
register(
    "chat.ChatMessage",
    subject="chat__member",
    category="chat_messages",
    export_fields=("chat", "seq", "kind", "body", "created_at", "delivered_at"),
    erasure=Erasure.DELETE,
    reason="Every line of the member's chats, including support's answers to them, is deleted with the chat.",
)
register(
    "chat.ChatMessage",
    subject="author",
    category="chat_messages_written",
    export_fields=("chat", "seq", "body", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"author": None},
    reason="Lines a moderator wrote in other members' chats stay with those chats; the link to the author is cut.",
)
register(
    "chat.ChatTag",
    subject="chat__member",
    category="chat_tags",
    export_fields=("chat", "name", "created_at"),
    erasure=Erasure.DELETE,
)
not_personal("chat.CannedReply", reason="Prepared answer texts written by staff for everyone; no member data.")
not_personal(
    "chat.ChatSettings", reason="Business hours of the chat and the forum for offline messages; configuration only."
)
register(
    "chat.BotAnswer",
    subject="chat__member",
    category="chat_bot_answers",
    export_fields=("chat", "source_kind", "source_id", "helped", "handed_over", "created_at"),
    erasure=Erasure.DELETE,
    reason=(
        "Which article or accepted answer the help bot offered in the member's chat and whether it helped; "
        "linked to the chat only, deleted with it."
    ),
)

"""Domain events the chat emits after commit; crm/ may subscribe with ``.connect``."""

from __future__ import annotations

from portal.events import Event

# chat_tagged(chat, tag, actor): a moderator tagged a chat (tag is a ChatTag; tag.name is the normalised name).
chat_tagged = Event("chat_tagged")
# chat_closed(chat, actor): a chat ended; the transcript follows the member's chat_transcript consent.
chat_closed = Event("chat_closed")
# message_posted(message): a member or moderator line was stored (insight analyses members' lines).
message_posted = Event("message_posted")

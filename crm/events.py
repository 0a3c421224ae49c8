"""Domain events of the CRM integration, sent by its services after commit (api/webhooks subscribes)."""

from __future__ import annotations

from portal.events import Event

# card_created(card): a new interest card was written (from a tag, a chat, an idea or outside interest).
card_created = Event("card_created")
# card_processed(card): the CRM reported the card's task done.
card_processed = Event("card_processed")

"""Domain events of the privacy core; other apps subscribe (crm stops pushes, redacts on withdrawal).

Sent by consent's services after the transaction commits, never from signals on models.
"""

from __future__ import annotations

from portal.events import Event

# consent_changed(user_id, purpose, state, event_index): purpose is the code, state a ``ConsentState`` value.
consent_changed = Event("consent_changed")

"""Domain events of the privacy core; other apps subscribe (crm stops pushes, redacts on withdrawal).

Sent by consent.services after the transaction commits, never from signals on models.
Receivers get ``user_id``, ``purpose`` (code), ``state`` (a ``ConsentState`` value) and ``event_index``.
"""

from django.dispatch import Signal

consent_changed = Signal()

"""Task status a CRM reports, by webhook or when polled, marks cards processed or open again."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from crm import events
from crm.adapters import adapter_for
from crm.adapters.base import StatusEvent
from crm.models import CardState, CrmConnection, InterestCard


def card_status_apply(*, connection: CrmConnection, event: StatusEvent) -> InterestCard | None:
    """The CRM reports a task's status; ``done`` marks the card processed (idempotent)."""
    with transaction.atomic():
        card = None
        if _is_uuid(event.key):
            card = InterestCard.objects.select_for_update().filter(connection=connection, key=event.key).first()
        if card is None and event.remote_id:
            card = (
                InterestCard.objects.select_for_update()
                .filter(connection=connection, remote_id=event.remote_id)
                .first()
            )
        if card is None:
            return None
        now = timezone.now()
        card.remote_status = event.status[:60]
        # ``updated_at`` marks changes the CRM must hear about; a status the CRM itself reported is not
        # one. Bumping it would make a send that the CRM echoes (a webhook for our own write) look
        # "changed while sending" and queue the same task again, round after round.
        fields = ["remote_status"]
        if event.remote_id and not card.remote_id:
            card.remote_id = event.remote_id
            fields.append("remote_id")
        if event.done and card.processed_at is None:
            card.processed_at = now
            card.state = CardState.PROCESSED
            fields += ["processed_at", "state"]
            events.card_processed.send_on_commit(card=card)
        elif not event.done and card.processed_at is not None:
            card.processed_at = None
            card.state = CardState.SENT
            fields += ["processed_at", "state"]
        card.save(update_fields=fields)
    return card


def connection_poll(*, connection: CrmConnection) -> int:
    """Ask a polling CRM (Salesforce, HubSpot) what changed since the last poll; returns cards updated."""
    started = timezone.now()
    adapter = adapter_for(connection)
    events = adapter.fetch_changes(connection.last_polled_at)
    updated = sum(1 for event in events if card_status_apply(connection=connection, event=event) is not None)
    CrmConnection.objects.filter(pk=connection.pk).update(last_polled_at=started)
    return updated


def _is_uuid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value or ""))

"""Who owns an outbox row: guarded leases, so two workers never both send the same row."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Value, When

from consent.processors import standing_annotations
from crm.models import OutboxMessage, OutboxState

LEASE = timedelta(minutes=2)  # a send holds its row this long; after that the sweep takes it back

LEASABLE_STATES = (OutboxState.PENDING, OutboxState.FAILED)
SEND_RELATED = ("card", "card__connection", "card__member", "card__assignee")  # what building the payload reads


class _LostRace(Exception):
    """A row changed between the locking read and the lease; the claim is rolled back."""


def _claim(rows, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Lease up to ``limit`` due rows of ``rows`` for one attempt each, with what a send needs loaded.

    The locking read and the lease are one transaction: PostgreSQL skips rows another worker has
    locked, SQLite (IMMEDIATE transactions) lets one writer in at a time, so a row is never leased twice.
    """
    try:
        with transaction.atomic():
            claimed = list(
                _due(rows, now=now)
                .select_related(*SEND_RELATED)
                .annotate(**standing_annotations("card__member_id"))
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "pk")[:limit]
            )
            if not claimed:
                return []
            leased = lease_rows(OutboxMessage.objects.filter(pk__in=[message.pk for message in claimed]), now=now)
            if leased != len(claimed):
                raise _LostRace
    except _LostRace:
        return []
    for message in claimed:
        message.state, message.lease_until, message.attempts = OutboxState.SENDING, now + LEASE, message.attempts + 1
    return claimed


def _lease(message_id: int, now: datetime) -> bool:
    """Take one row for an attempt; False when another worker has it or it is not due."""
    return bool(lease_rows(OutboxMessage.objects.filter(pk=message_id), now=now))


def _due(rows, *, now: datetime):
    return rows.filter(state__in=LEASABLE_STATES, next_attempt_at__lte=now)


def lease_rows(rows, *, now: datetime) -> int:
    """Lease the due rows among ``rows`` for one attempt each; returns how many this call got.

    ``rows`` may be of any ``crm.models.OutboxRow`` model (api/webhooks' deliveries too).
    """
    return _due(rows, now=now).update(
        state=OutboxState.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1, updated_at=now
    )


def _release(messages: list[OutboxMessage]) -> None:
    """Hand back leased rows that were not tried after all: as due as before, the attempt not counted.

    Guarded by the lease this claim wrote, so a row the sweep has meanwhile handed on stays untouched.
    """
    if not messages:
        return
    OutboxMessage.objects.filter(
        pk__in=[message.pk for message in messages],
        state=OutboxState.SENDING,
        lease_until=messages[0].lease_until,
    ).update(
        state=Case(When(attempts=1, then=Value(OutboxState.PENDING)), default=Value(OutboxState.FAILED)),
        attempts=F("attempts") - 1,
        lease_until=None,
    )


def lease_recover(rows, *, now: datetime) -> int:
    """Take back the rows among ``rows`` whose worker died mid-send: due again at once, the attempt counted."""
    return rows.filter(state=OutboxState.SENDING, lease_until__lt=now).update(
        state=OutboxState.FAILED, next_attempt_at=now, lease_until=None, last_error="lease expired", updated_at=now
    )

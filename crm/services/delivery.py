"""Sending leased outbox rows through the adapters: backoff, dead letters, batches per connection and the sweep."""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from consent.processors import may_process, standing_annotations, standing_remember
from crm import payloads
from crm.adapters import adapter_for
from crm.adapters.base import DeliveryError
from crm.models import CardState, InterestCard, OutboxKind, OutboxMessage, OutboxState
from crm.services.leases import LEASABLE_STATES, SEND_RELATED, _claim, _due, _lease, _release, lease_recover
from crm.services.outbox import _queue, enqueue_delivery
from crm.services.redaction import _redact_erased

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 15
# One delivery task sends its own row, then keeps sending due rows of the same connection, so the
# task queue's fixed cost per task is paid once per batch, not once per card. Bounded, so one busy
# connection never holds a worker for long (settings.CRM_DRAIN_MAX_ROWS and CRM_DRAIN_SECONDS).
CLAIM_BATCH = 10  # rows leased in one transaction; far fewer than a lease's worth of timeouts
RETRY_AFTER_CAP_SECONDS = 24 * 3600.0
HELD_RECHECK = timedelta(days=1)  # a row held for a restricted or objecting member is looked at again this late


def backoff_seconds(
    attempts: int, retry_after: float | None = None, *, base: float | None = None, cap: float | None = None
) -> float:
    """Full-jitter exponential backoff; a receiver's ``Retry-After`` wins when it asks for longer.

    ``base`` and ``cap`` default to the CRM's settings; api/webhooks passes its own.
    """
    base = float(settings.CRM_BACKOFF_BASE_SECONDS if base is None else base)
    cap = float(settings.CRM_BACKOFF_CAP_SECONDS if cap is None else cap)
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_SECONDS))
    return delay


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox row through its adapter; returns the row's state afterwards (or "skipped")."""
    if not _lease(message_id, timezone.now()):
        return "skipped"
    return _send(
        OutboxMessage.objects.select_related(*SEND_RELATED)
        .annotate(**standing_annotations("card__member_id"))
        .get(pk=message_id)
    )


def outbox_drain(*, message_id: int) -> dict[str, int]:
    """Send ``message_id``'s row, then other due rows of its connection while the CRM takes them.

    Bounded by ``DRAIN_MAX_ROWS`` sends and ``DRAIN_SECONDS``. It stops at the first send that
    does not succeed, so a failing CRM sees no more traffic than the rows' own backoff allows;
    rows leased but not tried are handed back unchanged. Every row still carries its own task,
    which finds it sent and skips with one read.
    """
    max_rows = int(settings.CRM_DRAIN_MAX_ROWS)
    deadline = time.monotonic() + float(settings.CRM_DRAIN_SECONDS)
    head = OutboxMessage.objects.filter(pk=message_id).values("state", "next_attempt_at", "card__connection_id").first()
    if head is None:
        return {"sent": 0, "failed": 0}
    sent = failed = 0
    now = timezone.now()
    if head["state"] in LEASABLE_STATES and head["next_attempt_at"] <= now:
        state = outbox_deliver(message_id=message_id)
        sent, failed = int(state == OutboxState.SENT), int(state in (OutboxState.FAILED, OutboxState.DEAD))
        if failed:
            return {"sent": sent, "failed": failed}
    due = OutboxMessage.objects.filter(card__connection_id=head["card__connection_id"])
    if not _due(due, now=timezone.now()).exists():
        return {"sent": sent, "failed": failed}  # a read, so an idle connection costs no write lock
    adapter = None
    batch = 2  # grows while the CRM takes every card, so a flaky one leaves few leased rows to hand back
    while sent < max_rows and time.monotonic() < deadline:
        claimed = _claim(due, now=timezone.now(), limit=min(batch, max_rows - sent))
        for index, message in enumerate(claimed):
            if time.monotonic() >= deadline:
                _release(claimed[index:])
                return {"sent": sent, "failed": failed}
            if adapter is None:
                adapter = adapter_for(message.card.connection)
            state = _send(message, adapter=adapter)
            if state == "held":
                continue
            if state != OutboxState.SENT:
                _release(claimed[index + 1 :])
                return {"sent": sent, "failed": failed + int(state != "skipped")}
            sent += 1
        if len(claimed) < batch:
            break
        batch = min(batch * 2, CLAIM_BATCH)
    return {"sent": sent, "failed": failed}


def _send(message: OutboxMessage, *, adapter=None) -> str:
    """Send one leased row and record the outcome, guarded so a send whose lease ran out records nothing."""
    attempt = message.attempts  # the row is ours until the lease runs out, so this is our attempt
    card = message.card
    mine = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.SENDING, attempts=attempt)
    # A card queued before a restriction or objection must not leave after it; a redaction always may.
    standing_remember(card.member, message)
    if message.kind == OutboxKind.UPSERT and not may_process(card.member, "crm.delivery"):
        return _held(mine, message, attempt)
    payload, identity = payloads.build(card, kind=message.kind)
    adapter = adapter or adapter_for(card.connection)
    try:
        if message.kind == OutboxKind.REDACT:
            ref = adapter.redact(card, payload)
        else:
            ref = adapter.upsert_task(card, payload)
    except DeliveryError as exc:
        return _failed(mine, card, message, attempt, exc, payload)
    except Exception as exc:  # an adapter bug must not leave the row leased until the sweep
        logger.exception("CRM adapter crashed on outbox row %s", message.pk)
        return _failed(mine, card, message, attempt, exc, payload)
    done = timezone.now()
    with transaction.atomic():
        updated = mine.update(
            state=OutboxState.SENT,
            payload=payload,
            with_identity=identity,
            remote_ref=ref.id,
            remote_url=ref.url,
            sent_at=done,
            lease_until=None,
            last_error="",
            updated_at=done,
        )
        if not updated:
            return "skipped"  # the lease ran out and the sweep handed the row on; that send records it
        changes = {"remote_id": ref.id or card.remote_id, "updated_at": done}
        if ref.url:
            changes["remote_url"] = ref.url
        if message.kind == OutboxKind.UPSERT:
            changes["identity_sent"] = identity
            changes["state"] = Case(
                When(state=CardState.PROCESSED, then=Value(CardState.PROCESSED)), default=Value(CardState.SENT)
            )
        else:
            changes["identity_sent"] = False
        # Unchanged since it was loaded: the usual case, one UPDATE. Otherwise (e.g. claimed while this
        # send was on its way) record the send anyway and send the news too.
        if not InterestCard.objects.filter(pk=card.pk, updated_at__lte=card.updated_at).update(**changes):
            InterestCard.objects.filter(pk=card.pk).update(**changes)
            if message.kind == OutboxKind.UPSERT:
                _queue(card, OutboxKind.UPSERT)
    return OutboxState.SENT


def _held(mine, message, attempt: int) -> str:
    """Keep the row unsent, without spending an attempt, and look again a day later (it goes once the hold ends)."""
    now = timezone.now()
    when = now + HELD_RECHECK
    if mine.update(
        state=OutboxState.FAILED,
        attempts=attempt - 1,
        next_attempt_at=when,
        lease_until=None,
        last_error="held: processing of the member's data is restricted or objected to",
        updated_at=now,
    ):
        enqueue_delivery(message.pk, run_after=when)
    return "held"


def _failed(mine, card, message, attempt: int, exc: Exception, payload: dict) -> str:
    retryable = getattr(exc, "retryable", True)
    now = timezone.now()
    error = str(exc)[:1000] or exc.__class__.__name__
    # A redaction is owed to the member (Art. 17, 19): it is retried until the CRM acknowledges it, however
    # long that takes (the backoff is capped); only a CRM that refuses it for good makes it dead.
    if retryable and (attempt < MAX_ATTEMPTS or message.kind == OutboxKind.REDACT):
        when = now + timedelta(seconds=backoff_seconds(attempt, getattr(exc, "retry_after", None)))
        if mine.update(
            state=OutboxState.FAILED,
            next_attempt_at=when,
            lease_until=None,
            last_error=error,
            payload=payload,
            updated_at=now,
        ):
            enqueue_delivery(message.pk, run_after=when)
        return OutboxState.FAILED
    with transaction.atomic():
        if mine.update(state=OutboxState.DEAD, lease_until=None, last_error=error, payload=payload, updated_at=now):
            if message.kind == OutboxKind.UPSERT:
                InterestCard.objects.filter(pk=card.pk, state=CardState.QUEUED).update(
                    state=CardState.DEAD, updated_at=now
                )
    logger.warning("CRM delivery %s is dead: %s", message.pk, error)
    return OutboxState.DEAD


def outbox_sweep(*, limit: int = 500) -> dict[str, int]:
    """Take back rows whose worker died mid-send and hand every due row to the worker again."""
    now = timezone.now()
    _redact_erased()
    recovered = lease_recover(OutboxMessage.objects.all(), now=now)
    due = list(
        OutboxMessage.objects.filter(state__in=(OutboxState.PENDING, OutboxState.FAILED), next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in due:
        enqueue_delivery(message_id)
    return {"recovered": recovered, "enqueued": len(due)}

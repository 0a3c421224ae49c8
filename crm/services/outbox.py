"""Writing an outbox row for a card inside the caller's transaction and handing it to the worker after commit."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import InterestCard, OutboxMessage, OutboxState
from portal.events import enqueue_on_commit

OPEN_STATES = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)


def _queue(card: InterestCard, kind: str, *, now: datetime | None = None, new: bool = False) -> OutboxMessage | None:
    """Write an outbox row for ``card`` (or reuse the open one) and send it after commit."""
    now = now or timezone.now()
    if new:
        # Nobody else sees a card created in this transaction yet: no open row to reuse or race with.
        message = OutboxMessage.objects.create(card=card, kind=kind, next_attempt_at=now, created_at=now)
    else:
        message = OutboxMessage.objects.filter(card=card, kind=kind, state__in=OPEN_STATES).first()
        if message is None:
            try:
                with transaction.atomic():
                    message = OutboxMessage.objects.create(card=card, kind=kind, next_attempt_at=now, created_at=now)
            except IntegrityError:
                return None  # another transaction opened it concurrently; that one sends
        elif message.state == OutboxState.FAILED:
            return message  # its retry is scheduled; the payload is built fresh when it goes
    from crm import tasks

    enqueue_on_commit(tasks.deliver_outbox_message, message_id=message.pk)
    return message


def enqueue_delivery(message_id: int, *, run_after: datetime | None = None, task=None) -> None:
    """Hand one outbox row to the worker (deferred when the backend can defer).

    ``task`` (taking ``message_id``) defaults to the CRM's delivery; api/webhooks hands its own rows on.
    """
    from django_tasks import default_task_backend

    from crm import tasks

    task = task or tasks.deliver_outbox_message
    if run_after is not None:
        if not default_task_backend.supports_defer:
            return  # the sweep picks it up when due
        task.using(run_after=run_after).enqueue(message_id=message_id)
        return
    task.enqueue(message_id=message_id)

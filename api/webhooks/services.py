"""Writes of the outbound webhooks: subscriptions, the deliveries an event causes, and sending them.

Deliveries are an outbox like the CRM's, and use its lease rules (``crm.services.leases``): the row
is written in the same transaction as the event's fan-out and handed to the worker after commit; a
send leases the row, so two workers never both send it; failures retry with full-jitter backoff
(``crm.services.backoff_seconds``) until ``WEBHOOK_MAX_ATTEMPTS``; the sweep takes back rows of
dead workers. The ``webhook-id`` stays the same on every retry, so a receiver that deduplicates on
it sees exactly one logical delivery per event. Privacy is checked when sending, not when queuing.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from api.webhooks import payloads
from api.webhooks.models import (
    SECRET_AAD,
    DeliveryState,
    PauseReason,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from consent.processors import may_process
from crm.adapters.base import TemporaryError, retry_after_seconds, send
from crm.services import backoff_seconds, enqueue_delivery
from crm.services.leases import lease_recover, lease_rows
from crm.signing import new_secret, standard_headers
from portal import field_crypto
from portal.events import enqueue_on_commit

logger = logging.getLogger(__name__)

PROCESSOR = "webhooks.delivery"
TEST_EVENT = "webhook.test"
OPEN_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)
# Stable per (subscription, event): the same event announced twice becomes one delivery.
MSG_NAMESPACE = uuid.UUID("0b6f7c1e-4d2a-5e8b-9c3f-7a1d2e4b6c8d")
USER_AGENT = "community-portal-webhooks/1"
# One pooled client for every send: no TLS handshake per delivery to the same receiver.
CLIENT = httpx.Client(follow_redirects=False, headers={"user-agent": USER_AGENT})


# --- Subscriptions ----------------------------------------------------------------------------


def subscription_save(*, subscription: WebhookSubscription, actor=None) -> WebhookSubscription:
    """Store a subscription; a new one gets its own signing secret (``whsec_``), encrypted at rest."""
    unknown = sorted(set(subscription.events or []) - set(payloads.SUBSCRIBABLE))
    if unknown:
        raise ValidationError({"events": _("Unknown events: %(names)s") % {"names": ", ".join(unknown)}})
    if not subscription.events:
        raise ValidationError({"events": _("Choose at least one event.")})
    with transaction.atomic():
        if not subscription.secret:
            subscription.secret = _seal(new_secret())
        if subscription.pk is None and actor is not None and actor.pk:
            subscription.created_by = actor
        subscription.events = [name for name in payloads.SUBSCRIBABLE if name in subscription.events]
        subscription.full_clean()
        subscription.save()
    return subscription


def subscription_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """A new signing secret; every later send (retries included) is signed with it."""
    secret = new_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=_seal(secret))
    subscription.secret = _seal(secret)
    return secret


def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Remove the URL with its delivery log; its pseudonyms stay in the DPO's mapping (they were sent)."""
    subscription.delete()


def _seal(secret: str) -> str:
    return field_crypto.encrypt_text(secret.encode(), aad=SECRET_AAD)


def subscription_pause(*, subscription: WebhookSubscription, reason: str, notify: bool = True) -> bool:
    """Stop sending to the URL (deliveries keep queuing); the administrators are told. False if already paused.

    ``reason`` is a ``PauseReason`` value.
    """
    from api.webhooks import notices

    now = timezone.now()
    with transaction.atomic():
        paused = WebhookSubscription.objects.filter(pk=subscription.pk, paused_at__isnull=True).update(
            paused_at=now, pause_reason=reason
        )
        if paused:
            subscription.paused_at, subscription.pause_reason = now, reason
            if notify:
                notices.paused(subscription=subscription)
    return bool(paused)


def subscription_resume(*, subscription: WebhookSubscription) -> int:
    """Send again: the failure count starts over and every queued delivery goes now; returns how many."""
    from api.webhooks import tasks

    now = timezone.now()
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            paused_at=None, pause_reason="", consecutive_failures=0
        )
        subscription.paused_at, subscription.pause_reason, subscription.consecutive_failures = None, "", 0
        waiting = WebhookDelivery.objects.filter(subscription=subscription, state__in=OPEN_STATES)
        ids = list(waiting.values_list("pk", flat=True))
        waiting.update(next_attempt_at=now, updated_at=now)
        for delivery_id in ids:
            enqueue_on_commit(tasks.deliver_webhook, message_id=delivery_id)
    return len(ids)


# --- Events into deliveries -------------------------------------------------------------------


def event_publish(
    *, event_type: str, refs: dict, member=None, once: str | None = None, occurred_at: datetime | None = None
) -> list[WebhookDelivery]:
    """One delivery per active subscription to ``event_type``, written now and sent after commit.

    ``once`` names the event for good (``thread.created:12``): announcing it again finds the deliveries
    already written instead of making new ones. Nothing is written for a member whose data may not be
    processed (restriction, objection, erasure).
    """
    from api.webhooks import tasks

    subscriptions = [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event_type)]
    if not subscriptions or not may_process(member, PROCESSOR):
        return []
    occurred_at = occurred_at or timezone.now()
    event_key = once or uuid.uuid4().hex
    made = []
    with transaction.atomic():
        for subscription in subscriptions:
            msg_id = "msg_" + uuid.uuid5(MSG_NAMESPACE, f"{subscription.pk}:{event_key}").hex
            delivery, created = WebhookDelivery.objects.get_or_create(
                msg_id=msg_id,
                defaults={
                    "subscription": subscription,
                    "event_type": event_type,
                    "refs": refs,
                    "member": member if member is not None and member.pk else None,
                    "occurred_at": occurred_at,
                    "next_attempt_at": occurred_at,
                },
            )
            if created:
                enqueue_on_commit(tasks.deliver_webhook, message_id=delivery.pk)
            made.append(delivery)
    return made


def test_event_send(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """“Send test event”: a ``webhook.test`` delivery to this one URL, signed and logged like any other."""
    from api.webhooks import tasks

    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event_type=TEST_EVENT,
            msg_id="msg_" + uuid.uuid4().hex,
            refs={},
            occurred_at=now,
            next_attempt_at=now,
        )
        enqueue_on_commit(tasks.deliver_webhook, message_id=delivery.pk)
    return delivery


def _thread_is_public(thread) -> bool:
    return thread.is_public and not thread.forum.is_private


def post_published(*, post) -> list[WebhookDelivery]:
    """A published post: ``thread.created`` for a question, ``post.created`` for a reply; public threads only."""
    thread = post.thread
    if not _thread_is_public(thread):
        return []
    refs = {"thread_id": thread.pk, "post_id": post.pk}
    if post.is_question:
        return event_publish(
            event_type="thread.created", refs=refs, member=post.author, once=f"thread.created:{thread.pk}"
        )
    return event_publish(event_type="post.created", refs=refs, member=post.author, once=f"post.created:{post.pk}")


def thread_tagged(*, thread, tag, automatic: bool) -> list[WebhookDelivery]:
    if not _thread_is_public(thread):
        return []
    refs = {"thread_id": thread.pk, "tag": tag.name, "automatic": bool(automatic)}
    return event_publish(event_type="thread.tagged", refs=refs, member=thread.author)


def thread_answered(*, thread, post) -> list[WebhookDelivery]:
    if not _thread_is_public(thread):
        return []
    refs = {"thread_id": thread.pk, "post_id": post.pk}
    return event_publish(event_type="thread.answered", refs=refs, member=post.author)


def idea_created(*, idea) -> list[WebhookDelivery]:
    return event_publish(
        event_type="idea.created", refs={"idea_id": idea.pk}, member=idea.author, once=f"idea.created:{idea.pk}"
    )


def idea_status_changed(*, idea_id: int, from_status: str, to_status: str) -> list[WebhookDelivery]:
    from ideas.models import Idea

    idea = Idea.objects.select_related("author").filter(pk=idea_id).first()
    if idea is None:
        return []
    refs = {"idea_id": idea_id, "from_status": from_status, "to_status": to_status}
    return event_publish(event_type="idea.status_changed", refs=refs, member=idea.author)


def card_event(*, event_type: str, card) -> list[WebhookDelivery]:
    once = f"card.created:{card.pk}" if event_type == "card.created" else None
    return event_publish(event_type=event_type, refs={"card_id": card.pk}, member=card.member, once=once)


def consent_changed(*, user_id: int, purpose: str, state: str, event_index: int | None) -> list[WebhookDelivery]:
    from portal.models import User

    member = User.objects.filter(pk=user_id).first()
    if member is None:
        return []
    once = f"consent.changed:{event_index}" if event_index is not None else None
    return event_publish(
        event_type="consent.changed", refs={"purpose": purpose, "state": state}, member=member, once=once
    )


def article_published(*, article) -> list[WebhookDelivery]:
    revision = getattr(article, "live_revision_id", None)
    once = f"kb.article.published:{article.pk}:{revision}" if revision else None
    return event_publish(event_type="kb.article.published", refs={"page_id": article.pk}, once=once)


# --- Sending ----------------------------------------------------------------------------------


def delivery_send(*, message_id: int) -> str:
    """Send one delivery if it is due and nobody else holds it; returns its state afterwards (or "skipped")."""
    now = timezone.now()
    if not lease_rows(WebhookDelivery.objects.filter(pk=message_id), now=now):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription", "member").get(pk=message_id)
    attempt = delivery.attempts
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING, attempts=attempt)
    subscription = delivery.subscription
    is_test = delivery.event_type == TEST_EVENT
    if not is_test and (not subscription.is_active or subscription.is_paused):
        # Handed back untouched: ``subscription_resume`` sends it.
        mine.update(
            state=DeliveryState.PENDING if attempt == 1 else DeliveryState.FAILED,
            attempts=attempt - 1,
            lease_until=None,
        )
        return "paused"
    if not may_process(delivery.member, PROCESSOR):
        return _withhold(mine, "the member's data may not be processed (restriction, objection or erasure)")
    try:
        payload = payloads.build(delivery)
    except payloads.Withheld as exc:
        return _withhold(mine, str(exc))
    except Exception as exc:  # a bug must not leave the row leased until the sweep, round after round
        logger.exception("Webhook payload of delivery %s could not be built", delivery.pk)
        error = f"payload: {exc.__class__.__name__}"
        WebhookAttempt.objects.create(delivery=delivery, number=attempt, error=error)
        return _failed(mine, delivery, attempt, None, error, None, None, is_test=is_test)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = standard_headers(secret=subscription.signing_secret(), msg_id=delivery.msg_id, body=body)
    headers["content-type"] = "application/json"
    status, error, retry_after = None, "", None
    started = time.monotonic()
    try:
        response = send(
            CLIENT,
            "POST",
            subscription.url,
            what="webhook",
            timeout=httpx.Timeout(float(settings.WEBHOOK_HTTP_TIMEOUT)),
            content=body,
            headers=headers,
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status} {response.text[:200]}".strip()
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    except TemporaryError as exc:
        error = str(exc)
    duration = int((time.monotonic() - started) * 1000)
    done = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=attempt,
        response_status=status,
        error=error[:500],
        duration_ms=duration,
        attempted_at=done,
    )
    if not error:
        mine.update(
            state=DeliveryState.SENT,
            payload=payload,
            response_status=status,
            sent_at=done,
            lease_until=None,
            last_error="",
            updated_at=done,
        )
        if not is_test and subscription.consecutive_failures:
            WebhookSubscription.objects.filter(pk=subscription.pk, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
        return DeliveryState.SENT
    return _failed(mine, delivery, attempt, status, error, retry_after, payload, is_test=is_test)


def _withhold(mine, reason: str) -> str:
    """Never sent (not public, or the member's data may not be processed): no attempt is counted."""
    now = timezone.now()
    mine.update(
        state=DeliveryState.WITHHELD,
        attempts=F("attempts") - 1,
        lease_until=None,
        last_error=f"withheld: {reason}"[:1000],
        updated_at=now,
    )
    return DeliveryState.WITHHELD


def _failed(mine, delivery, attempt: int, status, error: str, retry_after, payload, *, is_test: bool) -> str:
    from api.webhooks import tasks

    now = timezone.now()
    gone = status == 410  # Standard Webhooks: the receiver asks to be unsubscribed
    if attempt < int(settings.WEBHOOK_MAX_ATTEMPTS) and not gone and not is_test:
        delay = backoff_seconds(
            attempt,
            retry_after,
            base=settings.WEBHOOK_BACKOFF_BASE_SECONDS,
            cap=settings.WEBHOOK_BACKOFF_CAP_SECONDS,
        )
        when = now + timedelta(seconds=delay)
        if mine.update(
            state=DeliveryState.FAILED,
            next_attempt_at=when,
            lease_until=None,
            last_error=error[:1000],
            response_status=status,
            payload=payload,
            updated_at=now,
        ):
            enqueue_delivery(delivery.pk, run_after=when, task=tasks.deliver_webhook)
        state = DeliveryState.FAILED
    else:
        mine.update(
            state=DeliveryState.DEAD,
            lease_until=None,
            last_error=error[:1000],
            response_status=status,
            payload=payload,
            updated_at=now,
        )
        state = DeliveryState.DEAD
        logger.warning("Webhook delivery %s is dead: %s", delivery.pk, error)
    if not is_test:
        _count_failure(delivery.subscription, gone=gone)
    return state


def _count_failure(subscription: WebhookSubscription, *, gone: bool) -> None:
    """One more failed attempt in a row; at ``WEBHOOK_PAUSE_AFTER_FAILURES`` (or on 410 Gone) the URL is paused."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = WebhookSubscription.objects.values_list("consecutive_failures", flat=True).get(pk=subscription.pk)
    subscription.consecutive_failures = failures
    if gone:
        subscription_pause(subscription=subscription, reason=PauseReason.GONE)
    elif failures >= int(settings.WEBHOOK_PAUSE_AFTER_FAILURES):
        subscription_pause(subscription=subscription, reason=PauseReason.FAILURES)


def deliveries_sweep(*, limit: int = 500) -> dict[str, int]:
    """Take back deliveries whose worker died mid-send and hand every due one to the worker again."""
    from api.webhooks import tasks

    now = timezone.now()
    recovered = lease_recover(WebhookDelivery.objects.all(), now=now)
    due = list(
        WebhookDelivery.objects.filter(state__in=OPEN_STATES, next_attempt_at__lte=now)
        .filter(Q(event_type=TEST_EVENT) | Q(subscription__is_active=True, subscription__paused_at__isnull=True))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        enqueue_delivery(delivery_id, task=tasks.deliver_webhook)
    return {"recovered": recovered, "enqueued": len(due)}


def admin_url(subscription: WebhookSubscription) -> str:
    return reverse("webhooks_admin:detail", args=[subscription.pk])

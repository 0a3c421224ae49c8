"""Writes of the CRM integration: cards from tags, the outbox and its delivery, claims, status and redaction.

The card and its outbox row are written in one transaction; the send happens in a task after
commit, and every state change of a row is a guarded UPDATE so two workers never both own it.
"""

from __future__ import annotations

import logging
import random
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import payloads, permissions
from crm.adapters import adapter_for
from crm.adapters.base import DeliveryError, StatusEvent
from crm.crypto import encrypt_json
from crm.models import (
    AssigneeStrategy,
    CardState,
    CrmConnection,
    DemoReceipt,
    InterestCard,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    SourceType,
    TagRule,
)

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a send holds its row this long; after that the sweep takes it back
MAX_ATTEMPTS = 15
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
RETRY_AFTER_CAP_SECONDS = 24 * 3600.0
OPEN_STATES = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)
SECRET_FIELDS = ("signing_secret", "api_token", "client_secret")


# --- connections and rules ------------------------------------------------------------------------------


def connection_save(*, connection: CrmConnection, secrets: dict[str, str]) -> CrmConnection:
    """Store a connection; non-empty secrets replace the stored ones, empty ones keep them."""
    with transaction.atomic():
        current = connection.secrets() if connection.pk and connection.credentials else {}
        for name in SECRET_FIELDS:
            value = (secrets.get(name) or "").strip()
            if value:
                current[name] = value
        connection.credentials = encrypt_json(current, aad=connection._aad()) if current else ""
        connection.full_clean()
        connection.save()
    return connection


def normalise_tag(name: str) -> str:
    """The same normal form community gives tags: lower case, single spaces, no leading #."""
    return " ".join((name or "").strip().lstrip("#").split()).lower()


# --- cards from tags --------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def _trim(text: str, limit: int = 2000) -> str:
    text = re.sub(r"[ \t]+", " ", (text or "").strip())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _assignee_for(rule: TagRule):
    """Fixed owner, the next team member in turn, or nobody (first to claim)."""
    if rule.assignee_strategy == AssigneeStrategy.FIXED:
        return rule.owner
    if rule.assignee_strategy == AssigneeStrategy.ROUND_ROBIN and rule.team_id:
        locked = TagRule.objects.select_for_update().get(pk=rule.pk)
        members = list(rule.team.user_set.filter(is_active=True).order_by("pk"))
        if not members:
            return None
        chosen = members[locked.round_robin_position % len(members)]
        TagRule.objects.filter(pk=rule.pk).update(round_robin_position=F("round_robin_position") + 1)
        return chosen
    return None


def _queue(card: InterestCard, kind: str, *, now: datetime | None = None) -> OutboxMessage | None:
    """Write an outbox row for ``card`` (or reuse the open one) and send it after commit."""
    now = now or timezone.now()
    message = OutboxMessage.objects.filter(card=card, kind=kind, state__in=OPEN_STATES).first()
    if message is None:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(card=card, kind=kind, next_attempt_at=now, created_at=now)
        except IntegrityError:
            return None  # another transaction opened it concurrently; that one sends
    elif message.state == OutboxState.FAILED:
        return message  # its retry is scheduled; the payload is built fresh when it goes
    message_id = message.pk
    transaction.on_commit(lambda: enqueue_delivery(message_id))
    return message


def enqueue_delivery(message_id: int, *, run_after: datetime | None = None) -> None:
    """Hand one outbox row to the worker (deferred when the backend can defer)."""
    from django_tasks import default_task_backend

    from crm import tasks

    if run_after is not None:
        if not default_task_backend.supports_defer:
            return  # the sweep picks it up when due
        tasks.deliver_outbox_message.using(run_after=run_after).enqueue(message_id=message_id)
        return
    tasks.deliver_outbox_message.enqueue(message_id=message_id)


def card_create(
    *,
    rule: TagRule,
    source_type: str,
    source_id: int,
    source_url: str,
    reply_url: str,
    title: str,
    text: str,
    product: str,
    member,
    automatic: bool,
) -> InterestCard:
    """One card per (source, tag) with its outbox row, in one transaction; idempotent on the key."""
    key = InterestCard.key_for(source_type=source_type, source_id=source_id, tag=rule.tag)
    with transaction.atomic():
        existing = InterestCard.objects.filter(key=key).first()
        if existing is not None:
            return existing
        now = timezone.now()
        card = InterestCard.objects.create(
            key=key,
            rule=rule,
            connection=rule.connection,
            source_type=source_type,
            source_id=source_id,
            source_url=source_url[:500],
            reply_url=reply_url[:500],
            title=title[:200],
            text=_trim(text),
            product=product[:120],
            tag=rule.tag,
            is_automatic=automatic,
            action_type=rule.action_type,
            priority=rule.priority,
            due_on=(timezone.localtime(now) + timedelta(days=rule.due_in_days)).date(),
            member=member,
            assignee=_assignee_for(rule),
            created_at=now,
            updated_at=now,
        )
        _queue(card, OutboxKind.UPSERT, now=now)
    return card


def active_rule_for(tag: str) -> TagRule | None:
    return (
        TagRule.objects.select_related("connection", "owner", "team")
        .filter(tag=normalise_tag(tag), is_active=True, connection__is_active=True)
        .first()
    )


def thread_tagged(*, thread, tag, actor, automatic: bool) -> InterestCard | None:
    """A moderator or a keyword rule tagged a thread: when a rule matches, it becomes a card.

    Tags members put on their own questions are topics, not requests to the company, so only a
    moderator's tag or an automatic one reaches the CRM.
    """
    from community.models import Post
    from community.permissions import can_moderate_thread

    if not automatic and (actor is None or not can_moderate_thread(actor, thread)):
        return None
    rule = active_rule_for(tag.name)
    if rule is None:
        return None
    first_post = Post.objects.filter(thread_id=thread.pk).order_by("created_at", "id").only("body").first()
    return card_create(
        rule=rule,
        source_type=SourceType.THREAD,
        source_id=thread.pk,
        source_url=_absolute(thread.get_absolute_url()),
        reply_url=_absolute(thread.get_absolute_url()) + "#reply",
        title=thread.title,
        text=first_post.body if first_post else "",
        product=thread.forum.product if thread.forum_id else "",
        member=thread.author,
        automatic=automatic,
    )


def keyword_tags_for(text: str) -> list[str]:
    """Tags whose rule lists a keyword that occurs in ``text`` as a whole word or phrase."""
    lowered = (text or "").lower()
    found = []
    for rule in TagRule.objects.filter(is_active=True).exclude(keywords="").only("tag", "keywords"):
        if any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered) for word in rule.keyword_list()):
            found.append(rule.tag)
    return found


def thread_autotag(*, post) -> list[str]:
    """The first post of a thread is published: add the tags its keywords call for, marked automatic."""
    from community.services import thread_tag_add

    if not getattr(post, "is_question", False):
        return []
    thread = post.thread
    added = []
    for name in keyword_tags_for(f"{thread.title}\n{post.body}"):
        try:
            if thread_tag_add(thread=thread, name=name, actor=None, automatic=True) is not None:
                added.append(name)
        except ValidationError:
            logger.info("thread %s has no room for the automatic tag %r", thread.pk, name)
    return added


# --- staff actions ----------------------------------------------------------------------------------------


def card_claim(*, card: InterestCard, user) -> bool:
    """First to claim owns the card; a later claim changes nothing. The CRM learns the assignee."""
    if not permissions.can_claim_card(user, card):
        raise PermissionDenied
    with transaction.atomic():
        now = timezone.now()
        won = InterestCard.objects.filter(pk=card.pk, assignee__isnull=True).update(
            assignee=user, claimed_at=now, updated_at=now
        )
        if not won:
            return False
        card.refresh_from_db()
        _queue(card, OutboxKind.UPSERT, now=now)
    return True


def outbox_retry(*, message: OutboxMessage, user) -> OutboxMessage:
    """Staff send a dead row again: fresh attempts, due now."""
    if not permissions.can_retry_outbox(user, message):
        raise PermissionDenied
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.state != OutboxState.DEAD:
            raise ValidationError(_("Only failed deliveries that gave up can be retried."))
        if OutboxMessage.objects.filter(card_id=message.card_id, kind=message.kind, state__in=OPEN_STATES).exists():
            raise ValidationError(_("A newer delivery of this card is already on its way."))
        now = timezone.now()
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxState.PENDING, attempts=0, next_attempt_at=now, last_error="", updated_at=now
        )
        if message.kind == OutboxKind.UPSERT:
            InterestCard.objects.filter(pk=message.card_id, state=CardState.DEAD).update(
                state=CardState.QUEUED, updated_at=now
            )
        message_id = message.pk
        transaction.on_commit(lambda: enqueue_delivery(message_id))
    message.refresh_from_db()
    return message


# --- delivery ----------------------------------------------------------------------------------------------


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff; a CRM's ``Retry-After`` wins when it asks for longer."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** max(0, attempts - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_SECONDS))
    return delay


def _lease(message_id: int, now: datetime) -> bool:
    """Take the row for this attempt; False when another worker has it or it is not due."""
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, state__in=(OutboxState.PENDING, OutboxState.FAILED), next_attempt_at__lte=now
        ).update(state=OutboxState.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1, updated_at=now)
    )


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox row through its adapter; returns the row's state afterwards (or "skipped")."""
    now = timezone.now()
    if not _lease(message_id, now):
        return "skipped"
    message = OutboxMessage.objects.select_related("card", "card__connection", "card__member", "card__assignee").get(
        pk=message_id
    )
    attempt = message.attempts  # the row is ours until the lease runs out, so this is our attempt
    card = message.card
    mine = OutboxMessage.objects.filter(pk=message_id, state=OutboxState.SENDING, attempts=attempt)
    payload, identity = payloads.build(card, kind=message.kind)
    adapter = adapter_for(card.connection)
    try:
        if message.kind == OutboxKind.REDACT:
            ref = adapter.redact(card, payload)
        else:
            ref = adapter.upsert_task(card, payload)
    except DeliveryError as exc:
        return _failed(mine, card, message, attempt, exc, payload)
    except Exception as exc:  # an adapter bug must not leave the row leased until the sweep
        logger.exception("CRM adapter crashed on outbox row %s", message_id)
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
        changed_meanwhile = InterestCard.objects.filter(pk=card.pk, updated_at__gt=card.updated_at).exists()
        InterestCard.objects.filter(pk=card.pk).update(**changes)
        if changed_meanwhile and message.kind == OutboxKind.UPSERT:
            _queue(card, OutboxKind.UPSERT)  # e.g. claimed while this send was on its way: send the news too
    return OutboxState.SENT


def _failed(mine, card, message, attempt: int, exc: Exception, payload: dict) -> str:
    retryable = getattr(exc, "retryable", True)
    now = timezone.now()
    error = str(exc)[:1000] or exc.__class__.__name__
    if retryable and attempt < MAX_ATTEMPTS:
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
    recovered = OutboxMessage.objects.filter(state=OutboxState.SENDING, lease_until__lt=now).update(
        state=OutboxState.FAILED, next_attempt_at=now, lease_until=None, last_error="lease expired", updated_at=now
    )
    due = list(
        OutboxMessage.objects.filter(state__in=(OutboxState.PENDING, OutboxState.FAILED), next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in due:
        enqueue_delivery(message_id)
    return {"recovered": recovered, "enqueued": len(due)}


# --- status from the CRM ----------------------------------------------------------------------------------


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
        card.updated_at = now
        fields = ["remote_status", "updated_at"]
        if event.remote_id and not card.remote_id:
            card.remote_id = event.remote_id
            fields.append("remote_id")
        if event.done and card.processed_at is None:
            card.processed_at = now
            card.state = CardState.PROCESSED
            fields += ["processed_at", "state"]
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


# --- consent withdrawal and erasure ----------------------------------------------------------------------------


def member_redact(*, user_id: int) -> int:
    """Queue a redaction for every card whose CRM task holds the member's identity; returns how many."""
    with transaction.atomic():
        cards = list(InterestCard.objects.filter(member_id=user_id, identity_sent=True))
        for card in cards:
            _queue(card, OutboxKind.REDACT)
    return len(cards)


def erased_members_redact() -> int:
    """Redact now every CRM task that still holds the identity of an erased member (erasure event)."""
    return _redact_erased()


def _redact_erased() -> int:
    """Cards whose CRM task holds an identity the portal no longer has (member erased): redact them.

    Erasure (consent's registry-driven run) cuts the card's link to the member; the identity that
    already left stays marked, so the sweep catches it even when no event announced the erasure.
    """
    cards = list(
        InterestCard.objects.filter(identity_sent=True)
        .filter(Q(member__isnull=True) | Q(member__erased_at__isnull=False))
        .exclude(
            pk__in=OutboxMessage.objects.filter(
                kind=OutboxKind.REDACT, state__in=(*OPEN_STATES, OutboxState.DEAD)
            ).values("card_id")
        )[:500]
    )
    with transaction.atomic():
        for card in cards:
            _queue(card, OutboxKind.REDACT)
    return len(cards)


def consent_changed(*, user_id: int, purpose: str, state: str) -> int:
    """A CRM follow-up consent that is no longer given takes the identity back out of every CRM."""
    if purpose != payloads.PURPOSE or state == "granted":
        return 0
    return member_redact(user_id=user_id)


# --- the built-in demo receiver -----------------------------------------------------------------------------------


def demo_receipt_record(*, webhook_id: str, payload: dict, signature_valid: bool) -> DemoReceipt:
    """Keep what the demo CRM received; a repeated delivery of the same key updates one row."""
    now = timezone.now()
    card = InterestCard.objects.filter(key=webhook_id).first() if _is_uuid(webhook_id) else None
    with transaction.atomic():
        receipt = DemoReceipt.objects.select_for_update().filter(webhook_id=webhook_id).first()
        if receipt is None:
            try:
                with transaction.atomic():
                    return DemoReceipt.objects.create(
                        webhook_id=webhook_id, card=card, payload=payload, signature_valid=signature_valid
                    )
            except IntegrityError:
                receipt = DemoReceipt.objects.select_for_update().get(webhook_id=webhook_id)
        DemoReceipt.objects.filter(pk=receipt.pk).update(
            payload=payload, signature_valid=signature_valid, deliveries=F("deliveries") + 1, updated_at=now
        )
    receipt.refresh_from_db()
    return receipt


def _is_uuid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value or ""))


def demo_task_complete(*, receipt_id: int) -> None:
    """The demo CRM completes a task: its signed status webhook goes out after commit, like a real CRM's."""
    receipt = DemoReceipt.objects.filter(pk=receipt_id).first()
    if receipt is None or not _is_uuid(receipt.webhook_id):
        raise ValidationError(_("This demo task is unknown."))
    from crm import tasks

    transaction.on_commit(lambda: tasks.demo_report_status.enqueue(receipt_id=receipt_id, status="done"))


def demo_status_report(*, receipt_id: int, status: str) -> int:
    """POST the signed status event to the portal's own inbound hook; returns the HTTP status."""
    import httpx

    from crm.adapters.webhook import encode
    from crm.selectors import demo_connection
    from crm.signing import standard_headers

    receipt = DemoReceipt.objects.get(pk=receipt_id)
    connection = demo_connection()
    if connection is None:
        raise ValidationError(_("There is no demo connection."))
    body = encode(
        {"type": "task.status", "data": {"key": receipt.webhook_id, "status": status, "id": f"demo-{receipt.pk}"}}
    )
    headers = standard_headers(
        secret=connection.secrets().get("signing_secret", ""), msg_id=f"status-{receipt.pk}-{status}", body=body
    )
    headers["content-type"] = "application/json"
    url = settings.PORTAL_BASE_URL + f"/crm/hooks/{connection.pk}/"
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code

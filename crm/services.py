"""Writes of the CRM integration: cards from tags, the outbox and its delivery, claims, status and redaction.

The card and its outbox row are written in one transaction; the send happens in a task after
commit, and every state change of a row is a guarded UPDATE so two workers never both own it.
"""

from __future__ import annotations

import logging
import random
import re
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
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
from portal.models import User

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a send holds its row this long; after that the sweep takes it back
MAX_ATTEMPTS = 15
BACKOFF_BASE_SECONDS = 2.0  # settings.CRM_BACKOFF_BASE_SECONDS overrides
BACKOFF_CAP_SECONDS = 3600.0  # settings.CRM_BACKOFF_CAP_SECONDS overrides
# One delivery task sends its own row, then keeps sending due rows of the same connection, so the
# task queue's fixed cost per task is paid once per batch, not once per card. Bounded, so one busy
# connection never holds a worker for long (settings.CRM_DRAIN_MAX_ROWS / CRM_DRAIN_SECONDS override).
DRAIN_MAX_ROWS = 200
DRAIN_SECONDS = 5.0
CLAIM_BATCH = 10  # rows leased in one transaction; far fewer than a lease's worth of timeouts
LEASABLE_STATES = (OutboxState.PENDING, OutboxState.FAILED)
SEND_RELATED = ("card", "card__connection", "card__member", "card__assignee")  # what building the payload reads
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
        members = list(User.objects.filter(groups__id=rule.team_id, is_active=True).order_by("pk"))
        if not members:
            return None
        chosen = members[locked.round_robin_position % len(members)]
        TagRule.objects.filter(pk=rule.pk).update(round_robin_position=F("round_robin_position") + 1)
        return chosen
    return None


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
            connection_id=rule.connection_id,
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
        _queue(card, OutboxKind.UPSERT, now=now, new=True)
    return card


def active_rule_for(tag: str) -> TagRule | None:
    return TagRule.objects.filter(tag=normalise_tag(tag), is_active=True, connection__is_active=True).first()


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


CHAT_MESSAGES_MAX = 200  # more than enough to fill a card's text; a long chat is not read to the end


def chat_tagged(*, chat, tag, actor) -> InterestCard | None:
    """A moderator tagged a support chat in the console: with a rule for the tag, the member's words become a card.

    Staff answer in the console, so both links point there. An offline message has no chat lines:
    the member's words are then their posts in the private thread it became.
    """
    from community.chat.models import ChatMessage, MessageKind
    from community.chat.permissions import can_tag_chat

    if actor is None or not can_tag_chat(actor, chat):
        return None
    rule = active_rule_for(tag.name)
    if rule is None:
        return None
    bodies = list(
        ChatMessage.objects.filter(chat_id=chat.pk, kind=MessageKind.MEMBER)
        .order_by("seq")
        .values_list("body", flat=True)[:CHAT_MESSAGES_MAX]
    )
    if not bodies and chat.thread_id:
        from community.models import Post

        bodies = list(
            Post.objects.filter(thread_id=chat.thread_id, author_id=chat.member_id)
            .order_by("created_at", "id")
            .values_list("body", flat=True)[:CHAT_MESSAGES_MAX]
        )
    console = _absolute(reverse("chat:console_chat", args=[chat.pk]))
    return card_create(
        rule=rule,
        source_type=SourceType.CHAT,
        source_id=chat.pk,
        source_url=console,
        reply_url=console,
        title=chat.topic,
        text="\n".join(body for body in bodies if body),
        product="",
        member=chat.member,
        automatic=False,
    )


def idea_tagged(*, idea, tag, actor) -> InterestCard | None:
    """A product manager tagged an idea in the review console: with a rule for the tag, it becomes a card."""
    from ideas.permissions import can_change_idea_status

    if actor is None or not can_change_idea_status(actor, idea):
        return None
    rule = active_rule_for(tag.name)
    if rule is None:
        return None
    page = _absolute(idea.get_absolute_url())
    return card_create(
        rule=rule,
        source_type=SourceType.IDEA,
        source_id=idea.pk,
        source_url=page,
        reply_url=page + "#comments",
        title=idea.title,
        text=idea.body,
        product=idea.board.name if idea.board_id else "",
        member=idea.author,
        automatic=False,
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
    base = float(getattr(settings, "CRM_BACKOFF_BASE_SECONDS", BACKOFF_BASE_SECONDS))
    cap = float(getattr(settings, "CRM_BACKOFF_CAP_SECONDS", BACKOFF_CAP_SECONDS))
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_SECONDS))
    return delay


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
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "pk")[:limit]
            )
            if not claimed:
                return []
            leased = _take(OutboxMessage.objects.filter(pk__in=[message.pk for message in claimed]), now=now)
            if leased != len(claimed):
                raise _LostRace
    except _LostRace:
        return []
    for message in claimed:
        message.state, message.lease_until, message.attempts = OutboxState.SENDING, now + LEASE, message.attempts + 1
    return claimed


def _lease(message_id: int, now: datetime) -> bool:
    """Take one row for an attempt; False when another worker has it or it is not due."""
    return bool(_take(OutboxMessage.objects.filter(pk=message_id), now=now))


def _due(rows, *, now: datetime):
    return rows.filter(state__in=LEASABLE_STATES, next_attempt_at__lte=now)


def _take(rows, *, now: datetime) -> int:
    """Lease the due rows among ``rows`` for one attempt each; returns how many this call got."""
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


def outbox_deliver(*, message_id: int) -> str:
    """Send one outbox row through its adapter; returns the row's state afterwards (or "skipped")."""
    if not _lease(message_id, timezone.now()):
        return "skipped"
    return _send(OutboxMessage.objects.select_related(*SEND_RELATED).get(pk=message_id))


def outbox_drain(*, message_id: int) -> dict[str, int]:
    """Send ``message_id``'s row, then other due rows of its connection while the CRM takes them.

    Bounded by ``DRAIN_MAX_ROWS`` sends and ``DRAIN_SECONDS``. It stops at the first send that
    does not succeed, so a failing CRM sees no more traffic than the rows' own backoff allows;
    rows leased but not tried are handed back unchanged. Every row still carries its own task,
    which finds it sent and skips with one read.
    """
    max_rows = int(getattr(settings, "CRM_DRAIN_MAX_ROWS", DRAIN_MAX_ROWS))
    deadline = time.monotonic() + float(getattr(settings, "CRM_DRAIN_SECONDS", DRAIN_SECONDS))
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

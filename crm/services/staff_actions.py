"""What staff do to cards and deliveries in the back office: claim a card, send a dead row again."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.processors import may_process
from crm import events, permissions
from crm.models import TEXT_MAX, CardState, InterestCard, OutboxKind, OutboxMessage, OutboxState
from crm.services.outbox import OPEN_STATES, _queue
from portal.events import enqueue_on_commit


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


def card_release(*, card: InterestCard, user) -> InterestCard:
    """The assignee (or an administrator) gives a card back: unassigned, the next to claim owns it."""
    if not permissions.can_release_card(user, card):
        raise PermissionDenied
    with transaction.atomic():
        now = timezone.now()
        InterestCard.objects.filter(pk=card.pk).update(assignee=None, claimed_at=None, updated_at=now)
        card.refresh_from_db()
        if may_process(card.member, "crm.cards"):
            _queue(card, OutboxKind.UPSERT, now=now)
    return card


def card_reassign(*, card: InterestCard, user, to) -> InterestCard:
    """Hand a card to another staff member who may work cards; the CRM learns the new assignee."""
    if not permissions.can_release_card(user, card):
        raise PermissionDenied
    if to is None or not permissions.can_work_cards(to):
        raise ValidationError(_("Cards can only go to staff who work cards."))
    with transaction.atomic():
        now = timezone.now()
        InterestCard.objects.filter(pk=card.pk).update(assignee=to, claimed_at=now, updated_at=now)
        card.refresh_from_db()
        if may_process(card.member, "crm.cards"):
            _queue(card, OutboxKind.UPSERT, now=now)
    return card


def card_answered(*, card: InterestCard) -> InterestCard:
    """Staff answered the interest themselves (intake: a reply from the card): the card is processed, the CRM told."""
    with transaction.atomic():
        card = InterestCard.objects.select_for_update().get(pk=card.pk)
        if card.processed_at is not None:
            return card
        now = timezone.now()
        card.processed_at = now
        card.state = CardState.PROCESSED
        card.updated_at = now
        card.save(update_fields=["processed_at", "state", "updated_at"])
        if may_process(card.member, "crm.cards"):
            _queue(card, OutboxKind.UPSERT, now=now)
        events.card_processed.send_on_commit(card=card)
    return card


def card_reply_record(*, card: InterestCard, user, text: str) -> InterestCard:
    """Record what the company answered (in the CRM, by phone, at the source): stored with who and when, and the
    card is processed. One reply per card: a second one is refused, so nobody answers twice."""
    if not permissions.can_claim_card(user, card):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write what was answered."))
    if len(text) > TEXT_MAX:
        raise ValidationError(_("The reply is too long."))
    with transaction.atomic():
        locked = InterestCard.objects.select_for_update().get(pk=card.pk)
        if locked.replied_at is not None:
            raise ValidationError(_("A reply to this card is recorded already."))
        now = timezone.now()
        InterestCard.objects.filter(pk=locked.pk).update(
            reply_text=text, replied_at=now, replied_by=user, updated_at=now
        )
        locked.refresh_from_db()
        return card_answered(card=locked)


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
        from crm import tasks

        enqueue_on_commit(tasks.deliver_outbox_message, message_id=message.pk)
    message.refresh_from_db()
    return message

"""Who may see and work CRM cards, rules, connections and the outbox."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from crm.models import InterestCard, OutboxMessage

VIEW_CARDS = "crm.view_interestcard"
CLAIM_CARDS = "crm.claim_interestcard"
VIEW_OUTBOX = "crm.view_outboxmessage"
RETRY_OUTBOX = "crm.retry_outboxmessage"
MANAGE_RULES = "crm.change_tagrule"
MANAGE_CONNECTIONS = "crm.change_crmconnection"


def _has(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.has_perm(perm)))


def can_view_cards(user) -> bool:
    return _has(user, VIEW_CARDS)


def can_claim_card(user, card: InterestCard) -> bool:
    return _has(user, CLAIM_CARDS) and card.assignee_id is None


def can_work_cards(user) -> bool:
    return _has(user, CLAIM_CARDS)


def can_release_card(user, card: InterestCard) -> bool:
    """The card's assignee, or an administrator of tag rules, may give it back or hand it on."""
    if not _has(user, CLAIM_CARDS) or card.assignee_id is None:
        return False
    return card.assignee_id == user.pk or _has(user, MANAGE_RULES)


def can_view_outbox(user) -> bool:
    return _has(user, VIEW_OUTBOX)


def can_retry_outbox(user, message: OutboxMessage) -> bool:
    return _has(user, RETRY_OUTBOX)


def can_view_demo_receiver(user) -> bool:
    return _has(user, VIEW_CARDS)


def access_card(user, card_id: int) -> InterestCard:
    """The card, when the user may see cards at all; 404 and 403 look the same to outsiders."""
    if not can_view_cards(user):
        raise PermissionDenied
    card = InterestCard.objects.filter(pk=card_id).first()
    if card is None:
        raise PermissionDenied
    return card


def access_outbox_message(user, message_id: int) -> OutboxMessage:
    if not can_view_outbox(user):
        raise PermissionDenied
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise PermissionDenied
    return message

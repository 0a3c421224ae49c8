"""Card texts are copies of their source: when retention removes the source (a chat), the copy goes too.

A card made from a chat carries the chat's topic and the member's lines. Once the retention run has
deleted the chat, the card keeps only what the company's follow-up needs (action type, key, links,
status): its title becomes a neutral placeholder, its text is emptied, the payloads kept of earlier
sends are dropped, and a CRM that received the card gets a redaction with the neutral version. A
redaction goes even while the member's data may not be processed otherwise (it only removes data).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation

from crm.models import InterestCard, OutboxKind, OutboxMessage, OutboxState
from crm.services.outbox import _queue


def cards_from(*, source_type: str, source_ids: list[int]):
    """Cards made from these source rows (any tag)."""
    return InterestCard.objects.filter(source_type=source_type, source_id__in=source_ids)


def neutral_title(card: InterestCard) -> str:
    """What a card is called once its source is gone: action type and key, as a CRM gets for erased members."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{card.get_action_type_display()} {str(card.key)[:8]}"


def _reached_the_crm():
    """The CRM holds (or may hold, a send being under way or having been tried) the card's task."""
    tried = OutboxMessage.objects.filter(card_id=OuterRef("pk")).filter(
        Q(state__in=(OutboxState.SENT, OutboxState.SENDING)) | Q(attempts__gt=0)
    )
    return Q(identity_sent=True) | ~Q(remote_id="") | Q(Exists(tried))


def card_texts_purge(*, source_type: str, source_ids: list[int]) -> int:
    """Replace the copied texts of the cards made from these removed rows and tell every CRM that got them.

    Returns how many cards were neutralised. Runs in the caller's transaction (the retention run's).
    """
    now = timezone.now()
    with transaction.atomic():
        cards = list(cards_from(source_type=source_type, source_ids=source_ids).select_for_update().order_by("pk"))
        if not cards:
            return 0
        ids = [card.pk for card in cards]
        reached = set(InterestCard.objects.filter(pk__in=ids).filter(_reached_the_crm()).values_list("pk", flat=True))
        for card in cards:
            card.title, card.text, card.updated_at = neutral_title(card), "", now
            InterestCard.objects.filter(pk=card.pk).update(title=card.title, text="", updated_at=now)
        # The payloads kept of earlier sends (and failed tries) hold the texts as they went out.
        OutboxMessage.objects.filter(card_id__in=ids, payload__isnull=False).update(payload=None, updated_at=now)
        for card in cards:
            if card.pk in reached:
                _queue(card, OutboxKind.REDACT, now=now)
    return len(cards)

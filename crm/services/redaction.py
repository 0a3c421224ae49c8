"""Taking a member's identity back out of every CRM when consent is withdrawn or the member is erased."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crm import payloads
from crm.models import MEMBER_SOURCES, InterestCard, OutboxKind, OutboxMessage, OutboxState
from crm.services.outbox import OPEN_STATES, _queue


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
    """Cards of erased members that a CRM received: each CRM gets a redaction of its copy, once.

    Erasure (consent's registry-driven run) cuts the card's link to the member and marks the card with
    its erasure report; every card a CRM received (``remote_id``: a task exists there; or the identity
    went) is redacted there, pseudonymous or not, so the CRM's title and text go too. Cards anonymised
    before the mark existed are caught by the identity they carried. The sweep finds them even when no
    event announced the erasure.
    """
    redacting = OutboxMessage.objects.filter(kind=OutboxKind.REDACT)
    marked = (
        InterestCard.objects.filter(erasure_report_id__isnull=False)
        .filter(Q(identity_sent=True) | ~Q(remote_id=""))
        .exclude(pk__in=redacting.values("card_id"))
    )
    legacy = (
        InterestCard.objects.filter(identity_sent=True)
        .filter(Q(member__isnull=True) | Q(member__erased_at__isnull=False))
        .exclude(pk__in=redacting.filter(state__in=(*OPEN_STATES, OutboxState.DEAD)).values("card_id"))
    )
    cards = list(marked[:500]) + list(legacy.exclude(pk__in=marked.values("pk"))[:500])
    with transaction.atomic():
        for card in cards:
            _queue(card, OutboxKind.REDACT)
    return len(cards)


def consent_changed(*, user_id: int, purpose: str, state: str) -> int:
    """A CRM follow-up consent that is no longer given takes the identity back out of every CRM."""
    if purpose != payloads.PURPOSE or state == "granted":
        return 0
    return member_redact(user_id=user_id)


def outside_cards_erase(*, card_ids: list[int], report_id) -> int:
    """An outside author is erased (a request for their address): their cards lose what names them and
    every CRM that received one is asked to redact its copy through the outbox, retried until acknowledged.

    Title, text, author, reply and the link to the source go; the card stays as the CRM task's
    counterpart, marked with the erasure report (which lists each CRM's answer). A delivery not sent yet
    is dropped, so the CRM never receives the card; what was sent (its payload named the author) goes
    too. A send in flight is left to finish: the card's mark makes the outbox sweep redact it after.
    Only cards of outside sources are touched; returns how many were erased.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            InterestCard.objects.filter(pk__in=card_ids)
            .exclude(source_type__in=MEMBER_SOURCES)
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(card_id__in=ids, kind=OutboxKind.UPSERT).exclude(
            state=OutboxState.SENDING
        ).delete()
        InterestCard.objects.filter(pk__in=ids).update(
            title="(erased)",
            text="",
            outside_author="",
            reply_text="",
            source_url=F("reply_url"),
            erasure_report_id=report_id,
            updated_at=now,
        )
        _redact_erased()
    return len(ids)

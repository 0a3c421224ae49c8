"""Interest cards for a CRM-side integration: read, claim, record the CRM's status, mark processed (crm services)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from api import schemas
from api.auth import INTEGRATION_PROCESSOR
from api.context import Pseudonyms, principal, require
from api.pagination import cursor_page
from api.problems import Problem
from api.scopes import Scope
from consent.processors import may_process, standing_annotations, standing_remember
from crm import permissions, selectors, services
from crm.adapters.base import StatusEvent
from crm.models import InterestCard

router = Router(tags=["cards"])
ERRORS = {frozenset({400, 401, 403, 404, 422, 429}): Problem}
CARD_ORDER = ("-created_at", "-id")


class CardFilters(Schema):
    state: str = ""
    tag: str = ""
    source_type: str = ""
    processed: str = ""
    assignee: str = ""
    cursor: str | None = None
    limit: schemas.Limit = 25


def _check_cards(request, scope: str):
    require(request, scope)
    user = principal(request)
    if not permissions.can_view_cards(user):
        raise PermissionDenied(_("The account this token acts as may not work interest cards."))
    return user


def card_out(card: InterestCard, pseudonyms: Pseudonyms) -> dict:
    """A card; a member who restricted or objected to processing is left out, and so are their words."""
    standing_remember(card.member, card)
    shared = card.member_id is None or may_process(card.member, INTEGRATION_PROCESSOR)
    return {
        "id": card.pk,
        "key": str(card.key),
        "source_type": card.source_type,
        "source_url": card.source_url,
        "reply_url": card.reply_url,
        "title": card.title if shared else _("(withheld at the member's request)"),
        "text": card.text if shared else "",
        "product": card.product,
        "tag": card.tag,
        "action_type": card.action_type,
        "priority": card.priority,
        "due_on": card.due_on,
        "state": card.state,
        "member": pseudonyms.member(card.member_id) if shared else None,
        "assignee": pseudonyms.member(card.assignee_id),
        "claimed_at": card.claimed_at,
        "remote_status": card.remote_status,
        "reply": card.reply_text if shared else "",
        "replied_at": card.replied_at,
        "processed_at": card.processed_at,
        "created_at": card.created_at,
    }


def _cards(qs, request) -> list[dict]:
    cards = list(qs)
    pseudonyms = Pseudonyms(request, [c.member_id for c in cards] + [c.assignee_id for c in cards])
    return [card_out(card, pseudonyms) for card in cards]


def _card(request, card_id: int) -> dict:
    qs = InterestCard.objects.select_related("member").annotate(**standing_annotations("member_id"))
    card = qs.filter(pk=card_id).first()
    if card is None:
        raise PermissionDenied(_("The account this token acts as may not work interest cards."))
    return _cards([card], request)[0]


@router.get("/cards", response={200: schemas.CardPage, **ERRORS}, operation_id="cards_list")
def cards_list(request, query: Query[CardFilters]):
    """Cards, newest first; ``assignee``: a user is never named, so only ``none`` (unclaimed) or ``me``."""
    user = _check_cards(request, Scope.CARDS_READ)
    assignee = {"none": "none", "me": str(user.pk)}.get(query.assignee, "")
    qs = selectors.card_list(
        state=query.state[:20],
        tag=query.tag[:40],
        assignee=assignee,
        processed=query.processed,
        source_type=query.source_type[:20],
    ).annotate(**standing_annotations("member_id"))
    page = cursor_page(qs, order=CARD_ORDER, cursor=query.cursor, limit=query.limit)
    return {"items": _cards(page.items, request), "next_cursor": page.next_cursor}


@router.get("/cards/{card_id}", response={200: schemas.Card, **ERRORS}, operation_id="cards_read")
def cards_read(request, card_id: schemas.Id):
    _check_cards(request, Scope.CARDS_READ)
    return _card(request, card_id)


@router.post("/cards/{card_id}/claim", response={200: schemas.Claim, **ERRORS}, operation_id="cards_claim")
def cards_claim(request, card_id: schemas.Id):
    """Claim the card for the account the integration acts as; the first claim wins, later ones change nothing."""
    user = _check_cards(request, Scope.CARDS_WRITE)
    card = permissions.access_card(user, card_id)
    claimed = card.assignee_id is None and services.card_claim(card=card, user=user)
    return {"claimed": claimed, "card": _card(request, card_id)}


@router.post("/cards/{card_id}/status", response={200: schemas.Card, **ERRORS}, operation_id="cards_status")
def cards_status(request, card_id: schemas.Id, payload: schemas.CardStatusIn):
    """Record what the CRM side did with the card (a reply sent, a task state); ``done`` marks it processed.

    The same service as the CRM's signed status hook, so both paths agree.
    """
    user = _check_cards(request, Scope.CARDS_WRITE)
    card = permissions.access_card(user, card_id)
    event = StatusEvent(key=str(card.key), status=payload.status, done=payload.done)
    services.card_status_apply(connection=card.connection, event=event)
    return _card(request, card_id)


@router.post("/cards/{card_id}/reply", response={200: schemas.Card, **ERRORS}, operation_id="cards_reply")
def cards_reply(request, card_id: schemas.Id, payload: schemas.CardReplyIn):
    """Record what was answered (in the CRM, by phone, at the source): stored with who and when; the card is
    processed. A card takes one reply: a second one is refused (422), so nobody answers twice."""
    user = _check_cards(request, Scope.CARDS_WRITE)
    card = permissions.access_card(user, card_id)
    services.card_reply_record(card=card, user=user, text=payload.text)
    return _card(request, card_id)


@router.post("/cards/{card_id}/processed", response={200: schemas.Card, **ERRORS}, operation_id="cards_processed")
def cards_processed(request, card_id: schemas.Id):
    """Mark the card processed (status ``done``)."""
    user = _check_cards(request, Scope.CARDS_WRITE)
    card = permissions.access_card(user, card_id)
    services.card_status_apply(
        connection=card.connection, event=StatusEvent(key=str(card.key), status="done", done=True)
    )
    return _card(request, card_id)

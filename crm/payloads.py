"""The JSON a CRM receives, decided when sending: identity only with live consent, everyone else pseudonymous.

Every pseudonym in it, the author's and those that replace @handles in the texts, comes from the
card's connection's own domain (``CrmConnection.pseudonym_domain``), so two CRMs cannot join records.
"""

from __future__ import annotations

import re

from django.utils import timezone

from consent.pseudonyms import pseudonym_for
from consent.selectors import has_consent
from crm.models import MEMBER_SOURCES, CrmConnection, InterestCard, OutboxKind
from portal.models import User
from portal.pii import remove_personal_data

PURPOSE = "crm_followup"
SCHEMA = "portal.interest-card/1"
MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9-]{1,38}[a-z0-9])\b", re.IGNORECASE)


def identity_allowed(member: User | None) -> bool:
    """Name and e-mail may leave only while the member's ``crm_followup`` consent is live."""
    if member is None or member.erased_at is not None or not member.is_active:
        return False
    return has_consent(member, PURPOSE)


def _replace_words(text: str, words: list[str], replacement: str) -> str:
    for word in sorted({w for w in words if w and len(w) >= 2}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, text, flags=re.IGNORECASE)
    return text


def _named_members(texts: list[str], member: User | None) -> dict[str, User]:
    """Every member named by @handle in ``texts`` (and the author), fetched in one query."""
    handles = {h.lower() for text in texts for h in MENTION.findall(text or "")}
    author = {member.handle.lower(): member} if member is not None and member.handle else {}
    if not handles - set(author):
        return author  # nobody else is named: the loaded author is all there is, no query
    handles |= set(author)
    return {u.handle.lower(): u for u in User.objects.filter(handle__in=handles)}


def scrub(text: str, *, member: User | None, identity: bool, domain: str, named: dict[str, User] | None = None) -> str:
    """Replace @handles with the recipient's pseudonyms; without consent also the author's identifiers and contact data."""
    if not text:
        return ""
    if named is None:
        named = _named_members([text], member)
    present = {h.lower() for h in MENTION.findall(text)}
    for handle, user in named.items():
        if handle not in present and handle not in text.lower():
            continue
        if identity and member is not None and user.pk == member.pk:
            continue
        text = _replace_words(text, ["@" + handle, handle], pseudonym_for(user, domain))
    if member is not None and not identity:
        alias = pseudonym_for(member, domain)
        text = _replace_words(text, [member.email, member.get_full_name(), member.first_name, member.last_name], alias)
        text = remove_personal_data(text)
    return text


def _author(member: User | None, identity: bool, domain: str) -> dict:
    if member is None:
        return {"pseudonym": None, "deleted": True}
    author = {"pseudonym": pseudonym_for(member, domain)}
    if identity:
        author.update(name=member.get_full_name() or member.handle, email=member.email)
    return author


def _assignee(card: InterestCard) -> dict | None:
    if card.assignee is None:
        return None
    return {"name": card.assignee.get_full_name() or card.assignee.handle, "email": card.assignee.email}


def build(card: InterestCard, *, kind: str) -> tuple[dict, bool]:
    """The payload for one send and whether it carries the member's identity."""
    member = card.member
    identity = kind == OutboxKind.UPSERT and identity_allowed(member)
    named = _named_members([card.title, card.text], member)
    domain = card.connection.pseudonym_domain
    payload = {
        "schema": SCHEMA,
        "event": "card.redacted" if kind == OutboxKind.REDACT else "card.upserted",
        "key": str(card.key),
        "source_type": card.source_type,
        "source_url": card.source_url,
        "reply_url": card.reply_url,
        "created_at": card.created_at.isoformat(),
        "action_type": card.action_type,
        "priority": card.priority,
        "due_on": card.due_on.isoformat(),
        "tag": card.tag,
        "automatic": card.is_automatic,
        "title": scrub(card.title, member=member, identity=identity, domain=domain, named=named),
        "text": scrub(card.text, member=member, identity=identity, domain=domain, named=named),
    }
    outside = card.source_type not in MEMBER_SOURCES
    if not outside and (member is None or member.erased_at is not None):
        # Erased: nothing in the portal can tell which words named the member, so no free text goes.
        payload.update(title=f"{card.get_action_type_display()} {str(card.key)[:8]}", text="")
    payload |= {
        "product": card.product,
        "author": {"pseudonym": None, "outside": True, "name": card.outside_author}
        if outside
        else _author(member, identity, domain),
        "assignee": _assignee(card),
        "processed": card.processed_at is not None,
        "sent_at": timezone.now().isoformat(),
    }
    return payload, identity


def pseudonym_recipients() -> list[tuple[str, str]]:
    """Every connection as a recipient of pseudonyms, for the DPO's re-identification (consent's slot)."""
    return [(connection.recipient_key, str(connection)) for connection in CrmConnection.objects.order_by("name", "pk")]

"""Interest cards from tags on threads, support chats and ideas, and the keyword rules that tag automatically."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from consent.processors import may_process
from crm import events
from crm.models import MEMBER_SOURCES, AssigneeStrategy, InterestCard, OutboxKind, SourceType, TagRule
from crm.services.connections import normalise_tag
from crm.services.outbox import _queue
from portal.models import User

logger = logging.getLogger(__name__)


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
    if rule.assignee_strategy == AssigneeStrategy.LEAST_LOADED and rule.team_id:
        # Fewest open (unprocessed) cards first; ties go to the longest-standing member.
        return (
            User.objects.filter(groups__id=rule.team_id, is_active=True)
            .annotate(open_cards=Count("crm_assigned_cards", filter=Q(crm_assigned_cards__processed_at__isnull=True)))
            .order_by("open_cards", "pk")
            .first()
        )
    return None


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
) -> InterestCard | None:
    """One card per (source, tag) with its outbox row, in one transaction; idempotent on the key.

    None when the member's data may not be processed now (restriction, objection, erasure): nothing
    is derived, nothing queued.
    """
    if not may_process(member, "crm.cards"):
        return None
    return _card_insert(
        rule=rule,
        source_type=source_type,
        source_id=source_id,
        source_url=source_url,
        reply_url=reply_url,
        title=title,
        text=text,
        product=product,
        action_type=rule.action_type,
        automatic=automatic,
        member=member,
    )


def outside_card_create(
    *,
    rule: TagRule,
    source_type: str,
    source_id: int,
    source_url: str,
    reply_url: str,
    title: str,
    text: str,
    product: str,
    action_type: str,
    outside_author: str,
) -> InterestCard:
    """A card for interest shown outside the portal (intake/): no member, the author as the source named them.

    Same key, outbox row and assignment as every card; the caller's transaction holds it with the
    intake's own record, so a mail becomes a card exactly once. No member is behind it, so the
    processing check has no one's restriction or objection to find (it answers for the processor's basis).
    """
    if not may_process(None, "crm.cards"):
        raise PermissionDenied
    return _card_insert(
        rule=rule,
        source_type=source_type,
        source_id=source_id,
        source_url=source_url,
        reply_url=reply_url,
        title=title,
        text=text,
        product=product,
        action_type=action_type,
        automatic=True,
        outside_author=outside_author[:200],
    )


def _card_insert(
    *,
    rule: TagRule,
    source_type: str,
    source_id: int,
    source_url: str,
    reply_url: str,
    title: str,
    text: str,
    product: str,
    action_type: str,
    automatic: bool,
    member=None,
    outside_author: str = "",
) -> InterestCard:
    """The card and its first outbox row, in one transaction; idempotent on the (source, tag) key."""
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
            action_type=action_type,
            priority=rule.priority,
            due_on=(timezone.localtime(now) + timedelta(days=rule.due_in_days)).date(),
            member=member,
            outside_author=outside_author,
            assignee=_assignee_for(rule),
            created_at=now,
            updated_at=now,
        )
        _queue(card, OutboxKind.UPSERT, now=now, new=True)
        events.card_created.send_on_commit(card=card)
    return card


def outside_cards_delete(*, card_ids: list[int]) -> int:
    """Retention removes intake cards (no member behind them): the portal's copies and their deliveries go.

    The CRM keeps its task; only cards of outside sources are ever deleted here.
    """
    with transaction.atomic():
        deleted, _ = InterestCard.objects.filter(pk__in=card_ids).exclude(source_type__in=MEMBER_SOURCES).delete()
    return deleted


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

"""Reads the chat pages and sockets need, with their joins done up front."""

from __future__ import annotations

import logging

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from community import extensions
from community.chat.models import (
    BOT_STATUSES,
    OPEN_STATUSES,
    BotAnswer,
    BotHelped,
    Chat,
    ChatMessage,
    ChatSettings,
    ChatStatus,
    MessageKind,
)

logger = logging.getLogger(__name__)

REPLAY_LIMIT = 500


def offline_forum_for(*, member, config: ChatSettings | None = None):
    """The forum an offline message of ``member`` goes to: the configured one, else the first they may post in.

    Public forums come before private ones the member was given access to; None when there is none.
    """
    from community.permissions import can_view_forum, visible_forums

    config = config or ChatSettings.load()
    forum = config.offline_forum
    if forum is not None and can_view_forum(member, forum):
        return forum
    return visible_forums(member).exclude(slug="blog-comments").order_by("is_private", "order", "name").first()


def open_chat_for(member) -> Chat | None:
    return Chat.objects.filter(member=member, status__in=OPEN_STATUSES).first()


def chats_of_member(*, member, limit: int = 20, exclude: int | None = None) -> list[Chat]:
    qs = Chat.objects.filter(member=member).select_related("moderator")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs[:limit])


def messages_after(*, chat_id: int, after_seq: int, limit: int = REPLAY_LIMIT) -> list[ChatMessage]:
    """Messages with ``seq`` above ``after_seq`` in order: what a reconnecting client missed."""
    return list(
        ChatMessage.objects.filter(chat_id=chat_id, seq__gt=after_seq)
        .select_related("author", "bot_answer")
        .order_by("seq")[:limit]
    )


def pending_bot_answer_id(message: ChatMessage) -> int | None:
    """The help bot's answer on this line still waiting for "Did this solve it?", else None."""
    try:
        answer = message.bot_answer
    except BotAnswer.DoesNotExist:
        return None
    return answer.pk if answer.helped == BotHelped.UNKNOWN else None


def chat_lines(chat: Chat) -> list[dict]:
    """The conversation as the pages render it: each line, its safe HTML and the bot's open question on it."""
    asking = chat.status in BOT_STATUSES
    return [
        {"message": m, "html": message_html(m), "ask": pending_bot_answer_id(m) if asking else None}
        for m in chat.messages.select_related("author", "bot_answer").order_by("seq")
    ]


def queue_position(chat: Chat) -> int | None:
    """1 for the next chat a moderator takes; None once the chat no longer waits."""
    if chat.status != ChatStatus.WAITING:
        return None
    ahead = Chat.objects.filter(status=ChatStatus.WAITING).filter(
        Q(created_at__lt=chat.created_at) | Q(created_at=chat.created_at, pk__lt=chat.pk)
    )
    return ahead.count() + 1


def console_lists() -> dict[str, list[Chat]]:
    """Waiting (oldest first) and active chats, and offline messages support has not answered yet, in one query.

    An offline message counts as answered once its private thread has a published reply by someone
    other than the member; a hidden or removed thread leaves the list too.
    """
    from community.models import Post
    from community.models.forum import PostStatus, ThreadState

    answered = Exists(
        Post.objects.filter(thread_id=OuterRef("thread_id"), is_question=False, status=PostStatus.PUBLISHED).exclude(
            author_id=OuterRef("member_id")
        )
    )
    unanswered_offline = (
        Q(status=ChatStatus.OFFLINE, thread__isnull=False) & ~Q(thread__state=ThreadState.HIDDEN) & ~Q(answered)
    )
    rows = list(
        Chat.objects.filter(Q(status__in=(ChatStatus.WAITING, ChatStatus.ACTIVE)) | unanswered_offline)
        .select_related("member", "moderator")
        .order_by("created_at", "id")
    )
    return {
        "waiting": [c for c in rows if c.status == ChatStatus.WAITING],
        "active": [c for c in rows if c.status == ChatStatus.ACTIVE],
        "offline": [c for c in rows if c.status == ChatStatus.OFFLINE],
    }


def console_payload(lists: dict[str, list[Chat]], *, viewer) -> dict:
    """The console lists as JSON-ready dicts (public handles only, never names or e-mail)."""
    now = timezone.now()

    def row(chat: Chat) -> dict:
        return {
            "id": chat.pk,
            "topic": chat.topic,
            "member": chat.member.public_name,
            "status": chat.status,
            "moderator": chat.moderator.public_name if chat.moderator else "",
            "mine": chat.moderator_id == viewer.pk,
            "waiting_seconds": int((now - chat.created_at).total_seconds()),
            "url": chat.get_absolute_url() if chat.is_offline else f"/chat/console/{chat.pk}/",
        }

    return {key: [row(c) for c in chats] for key, chats in lists.items()}


def moderators():
    """Moderators a chat can be transferred to."""
    from portal.models import User
    from portal.roles import Role

    return User.objects.filter(groups__name=Role.MODERATOR, is_active=True).order_by("handle").distinct()


def system_text(body: str) -> str:
    """A system line's code -> text in the active language."""
    code, _sep, rest = body.partition(":")
    args = rest.split(":") if rest else []
    texts = {
        "waiting": lambda: _("You are in the queue. A member of the support team will be with you shortly."),
        # Only in chats started offline before offline messages became private threads (chat migration 0002).
        "offline": lambda: _("Support is offline right now. Your message was saved; we will answer it and notify you."),
        "taken": lambda: _("%(handle)s joined the chat.") % {"handle": args[0] if args else "-"},
        "transferred": lambda: (
            _("%(old)s handed the chat to %(new)s.")
            % {"old": args[0] if args else "-", "new": args[1] if len(args) > 1 else "-"}
        ),
        "closed": lambda: _("%(handle)s closed the chat.") % {"handle": args[0] if args else "-"},
        "offer": lambda: (
            _("Support suggests publishing this conversation in the forum “%(forum)s”.")
            % {"forum": args[0] if args else "-"}
        ),
        "thread": lambda: _("The conversation was published as a forum thread."),
    }
    text = texts.get(code)
    return text() if text else ""


def message_html(message: ChatMessage) -> str:
    """Safe HTML of one line: stored sanitised Markdown, or the translated notice, escaped."""
    if message.kind == MessageKind.SYSTEM:
        return escape(system_text(message.body))
    return message.body_html


def _local(moment, format_name: str) -> str:
    """A time in the site's zone, in the active language's own format (the pages use the same ones)."""
    return date_format(timezone.localtime(moment), format_name)


def transcript_text(chat: Chat) -> str:
    """A plain-text transcript in the active language: topic, times, one line block per message."""
    lines = [
        _("Chat transcript: %(topic)s") % {"topic": chat.topic},
        _("Started: %(when)s") % {"when": _local(chat.created_at, "SHORT_DATETIME_FORMAT")},
    ]
    if chat.closed_at:
        lines.append(_("Closed: %(when)s") % {"when": _local(chat.closed_at, "SHORT_DATETIME_FORMAT")})
    lines.append("")
    for message in chat.messages.select_related("author").order_by("seq"):
        when = _local(message.created_at, "TIME_FORMAT")
        if message.kind == MessageKind.SYSTEM:
            lines.append(f"[{when}] * {system_text(message.body)}")
            continue
        if message.kind == MessageKind.BOT:
            body = message.body.replace("\n", "\n    ")
            lines.append(f"[{when}] {_('Help bot (automated)')}: {body}")
            continue
        who = message.author.public_name if message.author else _("deleted member")
        if message.kind == MessageKind.STAFF:
            who = _("%(handle)s (support)") % {"handle": who}
        body = message.body.replace("\n", "\n    ")
        lines.append(f"[{when}] {who}: {body}")
    return "\n".join(lines) + "\n"


def kb_suggestions(text: str, *, limit: int = 3) -> list[dict]:
    """Articles the apps in the chat slot suggest for what the member wrote; empty when none is installed."""
    found: list[dict] = []
    for suggester in extensions.CHAT_SUGGESTERS:
        try:
            found.extend(suggester(text, limit))
        except Exception:  # noqa: BLE001 - suggestions are a courtesy, never a reason to fail the chat
            logger.exception("Chat suggestions failed")
    return [{"title": str(s.get("title", "")), "url": str(s.get("url") or "")} for s in found if s.get("url")][:limit]


# --- reads for insight (aggregates over content; insight never writes here) -------------------------


def messages_for_analysis(*, ids):
    """Members' chat lines with their chat, as the text analysis reads them (staff and system lines are not)."""
    return ChatMessage.objects.select_related("chat").filter(pk__in=ids, kind=MessageKind.MEMBER)


def message_ids_for_analysis():
    return ChatMessage.objects.filter(kind=MessageKind.MEMBER).order_by("pk").values_list("pk", flat=True)


def chat_service_rows(*, start, end):
    """Chats started in [start, end): when they started, were taken and closed, and by which member."""
    return Chat.objects.filter(created_at__gte=start, created_at__lt=end).values(
        "pk", "member_id", "created_at", "taken_at", "closed_at", "status"
    )


def bot_answer_rows(*, start, end):
    """The help bot's answers given in [start, end): whether they helped and were handed over, and whose chat."""
    return BotAnswer.objects.filter(created_at__gte=start, created_at__lt=end).values(
        "pk", "chat_id", "chat__member_id", "helped", "handed_over"
    )

"""Every write of the live chat: permission check, validation, write, then broadcasts after commit."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override

from community.chat import bot, events, live, permissions, selectors
from community.chat.models import (
    BODY_MAX,
    BOT_STATUSES,
    OPEN_STATUSES,
    TAG_MAX,
    TOPIC_MAX,
    TOPIC_MIN,
    BotAnswer,
    BotHelped,
    BotSourceKind,
    Chat,
    ChatMessage,
    ChatSettings,
    ChatStatus,
    ChatTag,
    MessageKind,
)
from portal import ratelimit
from portal.markup import render_markdown
from portal.models import User

CLIENT_ID_MAX = 40


class ChatRateLimited(PermissionDenied):
    """The member sends faster than the flood limit allows; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int):
        super().__init__(
            _("You are sending messages too fast. Please wait %(seconds)d seconds.") % {"seconds": retry_after}
        )
        self.retry_after = retry_after


def member_messages_per_minute() -> int:
    return settings.CHAT_MEMBER_MESSAGES_PER_MINUTE


def starts_per_hour() -> int:
    return settings.CHAT_STARTS_PER_HOUR


def retention_days() -> int:
    """Days a closed chat is kept without the member's ``chat_transcript`` consent."""
    return settings.CHAT_TRANSCRIPT_RETENTION_DAYS


def consented_retention_days() -> int:
    """Days a closed chat is kept with the consent (the notice promises 12 months)."""
    return settings.CHAT_TRANSCRIPT_CONSENTED_RETENTION_DAYS


# --- validation -------------------------------------------------------------------------


def _clean_topic(topic: str) -> str:
    topic = " ".join((topic or "").split())
    if len(topic) < TOPIC_MIN:
        raise ValidationError(
            {"topic": _("Please describe the topic in at least %(min)d characters.") % {"min": TOPIC_MIN}}
        )
    if len(topic) > TOPIC_MAX:
        raise ValidationError({"topic": _("The topic is too long: at most %(max)d characters.") % {"max": TOPIC_MAX}})
    return topic


def _clean_body(body: str) -> str:
    if not isinstance(body, str):
        raise ValidationError({"body": _("Please write a message.")})
    body = body.replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": _("Please write a message.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("The message is too long: at most %(max)d characters.") % {"max": BODY_MAX}})
    return body


def _rendered(body: str) -> str:
    html = render_markdown(body)
    if not html.strip():
        raise ValidationError({"body": _("The message has no visible content.")})
    return html


def _clean_client_id(client_id) -> str:
    if client_id in (None, ""):
        return ""
    if not isinstance(client_id, str) or len(client_id) > CLIENT_ID_MAX:
        raise ValidationError({"client_id": _("Invalid message reference.")})
    return client_id


def _rate_limit_message(user: User) -> None:
    try:
        ratelimit.hit(f"chat:msg:{user.pk}", limit=member_messages_per_minute(), window=60)
    except ratelimit.RateLimited as exc:
        raise ChatRateLimited(exc.retry_after)


# --- building blocks ------------------------------------------------------------------


def message_time(message: ChatMessage) -> str:
    """The time a line shows, in the portal's zone: the same text the server-rendered page has."""
    return date_format(timezone.localtime(message.created_at), "H:i")


def message_payload(message: ChatMessage, author_handle: str | None = None, *, ask: int | None = None) -> dict:
    """What clients receive for one message; system lines carry their code and are translated per socket.

    ``ask`` is the help bot's answer still waiting for "Did this solve it?" (read from the message when
    not given, so replays show the buttons as the page does).
    """
    author = message.author if message.author_id else None
    if author_handle is None:
        author_handle = author.public_name if author else ""
    if ask is None and message.kind == MessageKind.BOT:
        ask = selectors.pending_bot_answer_id(message)
    return {
        "id": message.pk,
        "seq": message.seq,
        "kind": message.kind,
        "author": author_handle,
        "team": bool(author and author.is_team),  # shown with the "Team" badge (portal's member_name filter)
        "body": message.body if message.kind == MessageKind.SYSTEM else "",
        "html": message.body_html,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "time": message_time(message),
        "delivered": message.delivered_at is not None,
        "ask": ask,
    }


def _append(
    *, chat: Chat, kind: str, author: User | None, body: str, html: str = "", client_id: str = ""
) -> ChatMessage:
    """Store the next numbered message; the counter row lock serialises concurrent writers of one chat."""
    Chat.objects.filter(pk=chat.pk).update(last_seq=F("last_seq") + 1)
    seq = Chat.objects.filter(pk=chat.pk).values_list("last_seq", flat=True).get()
    chat.last_seq = seq
    return ChatMessage.objects.create(
        chat=chat, seq=seq, kind=kind, author=author, body=body, body_html=html, client_id=client_id
    )


def _system(chat: Chat, code: str, *args: str) -> ChatMessage:
    body = ":".join([code, *[str(a).replace(":", "") for a in args]])
    return _append(chat=chat, kind=MessageKind.SYSTEM, author=None, body=body)


def _broadcast_message(chat: Chat, message: ChatMessage, handle: str = "", *, ask: int | None = None) -> None:
    payload = message_payload(message, author_handle=handle, ask=ask)
    event = {"type": "chat.message", "message": payload}
    if message.kind != MessageKind.SYSTEM:
        # Serialised once here rather than once per socket: the same bytes go to every listener.
        event["frame"] = json.dumps({"type": "message", "message": payload}, separators=(",", ":"))
    live.send_on_commit(live.chat_group(chat.pk), event)


def _broadcast_state(chat: Chat, *, queue: bool = True) -> None:
    state = {
        "status": chat.status,
        "moderator": chat.moderator.public_name if chat.moderator_id and chat.moderator else "",
        "moderator_id": chat.moderator_id,
        "thread_offer": bool(chat.thread_offer_forum_id and not chat.thread_id),
        "thread_url": chat.thread.get_absolute_url() if chat.thread_id and chat.thread else "",
    }
    live.send_on_commit(live.chat_group(chat.pk), {"type": "chat.state", "state": state})
    if queue:
        live.queue_changed_on_commit()


def _locked(chat: Chat) -> Chat:
    """Re-read the chat under a row lock so state changes never race each other."""
    return Chat.objects.select_for_update(of=("self",)).select_related("member", "moderator", "thread").get(pk=chat.pk)


# --- members ----------------------------------------------------------------------------


@transaction.atomic
def chat_start(*, member: User, topic: str, body: str, language: str | None = None, now=None) -> Chat:
    """Open a chat with its first message; the help bot answers first when it is confident.

    With a confident answer (``bot.best_answer``) the chat stays with the bot (``BOT``) until the member asks
    for a person (``chat_handover``). Without one, the chat waits for a person at once, or, outside business
    hours, the message becomes a private forum thread answered with the normal reply (the member is
    notified there); that chat row has no messages and points at the thread. ``language`` is the one the
    member writes in (default: their preferred language); the bot answers in it.
    """
    if not permissions.can_start_chat(member):
        raise PermissionDenied
    topic = _clean_topic(topic)
    body = _clean_body(body)
    html = _rendered(body)
    if Chat.objects.filter(member=member, status__in=OPEN_STATUSES).exists():
        raise ValidationError({"topic": _("You already have an open chat. Please continue there.")})
    try:
        ratelimit.hit(f"chat:start:{member.pk}", limit=starts_per_hour(), window=3600)
    except ratelimit.RateLimited as exc:
        raise ChatRateLimited(exc.retry_after)
    now = now or timezone.now()
    config = ChatSettings.load()
    codes = {code for code, _name in settings.LANGUAGES}
    language = language if language in codes else (member.preferred_language or settings.LANGUAGE_CODE)
    candidate = bot.best_answer(f"{topic} {body}", language=language)
    support_open = config.is_open(now)
    if candidate is None and not support_open:
        return _offline_message(member=member, topic=topic, body=body, config=config, now=now)
    chat = Chat.objects.create(
        member=member,
        topic=topic,
        status=ChatStatus.WAITING if candidate is None else ChatStatus.BOT,
        language=language,
        created_at=now,
    )
    first = _append(chat=chat, kind=MessageKind.MEMBER, author=member, body=body, html=html)
    events.message_posted.send_on_commit(message=first)
    if candidate is None:
        _system(chat, "waiting")
        live.queue_changed_on_commit()
        return chat
    _bot_answer(chat, candidate)
    if not support_open:
        _bot_say(chat, "closed_hours")
    return chat


def _offline_message(*, member: User, topic: str, body: str, config: ChatSettings, now) -> Chat:
    """The private thread support answers, and the chat row that lists it in the console and the member's chats."""
    from community.services import thread_create

    forum = selectors.offline_forum_for(member=member, config=config)
    if forum is None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "Support is offline and there is no forum to leave a message in. "
                    "Please try again during business hours."
                )
            }
        )
    thread = thread_create(forum=forum, author=member, title=topic, body=body, is_private=True)
    chat = Chat.objects.create(
        member=member,
        topic=topic,
        status=ChatStatus.OFFLINE,
        language=member.preferred_language or settings.LANGUAGE_CODE,
        created_at=now,
        thread=thread,
    )
    live.queue_changed_on_commit()
    return chat


def message_post(*, chat: Chat, author: User, body, client_id="") -> tuple[ChatMessage, bool]:
    """Store a message, then broadcast it after commit; a repeated ``client_id`` returns the stored one.

    The hot path of the chat: the permission holds in the counter UPDATE's WHERE clause (open chat,
    the member or the moderator holding it), so no separate locking read is needed.
    """
    client_id = _clean_client_id(client_id)
    if not author.is_authenticated or not author.is_active:
        raise PermissionDenied
    body = _clean_body(body)
    html = _rendered(body)
    if author.pk == chat.member_id:
        kind, allowed = MessageKind.MEMBER, Q(member_id=author.pk, status__in=OPEN_STATUSES)
    else:
        kind, allowed = MessageKind.STAFF, Q(moderator_id=author.pk, status=ChatStatus.ACTIVE)
    try:
        with transaction.atomic():
            if not Chat.objects.filter(allowed, pk=chat.pk).update(last_seq=F("last_seq") + 1):
                raise PermissionDenied
            _rate_limit_message(author)
            seq = Chat.objects.filter(pk=chat.pk).values_list("last_seq", flat=True).get()
            message = ChatMessage.objects.create(
                chat=chat, seq=seq, kind=kind, author=author, body=body, body_html=html, client_id=client_id
            )
            _broadcast_message(chat, message, handle=author.public_name)
            events.message_posted.send_on_commit(message=message)
    except IntegrityError:
        existing = ChatMessage.objects.filter(chat=chat, client_id=client_id).first() if client_id else None
        if existing is None or existing.author_id != author.pk:
            raise ValidationError({"client_id": _("Invalid message reference.")})
        return existing, False
    chat.last_seq = seq
    return message, True


def messages_mark_delivered(*, chat: Chat, reader: User, up_to_seq) -> int:
    """The reader's client has shown everything up to ``up_to_seq``: the other side's lines become delivered."""
    if not permissions.can_view_chat(reader, chat):
        raise PermissionDenied
    if isinstance(up_to_seq, bool) or not isinstance(up_to_seq, int) or up_to_seq < 0:
        raise ValidationError({"seq": _("Invalid sequence number.")})
    if reader.pk == chat.member_id:
        others = Q(kind=MessageKind.STAFF)
    elif reader.pk == chat.moderator_id:
        others = Q(kind=MessageKind.MEMBER)
    else:
        return 0  # observers do not confirm delivery for the participants
    with transaction.atomic():
        count = ChatMessage.objects.filter(others, chat=chat, seq__lte=up_to_seq, delivered_at__isnull=True).update(
            delivered_at=timezone.now()
        )
        if count:
            event = {
                "type": "chat.delivered",
                "seq": up_to_seq,
                "kind": MessageKind.STAFF if reader.pk == chat.member_id else MessageKind.MEMBER,
            }
            live.send_on_commit(live.chat_group(chat.pk), event)
    return count


@transaction.atomic
def chat_close(*, chat: Chat, actor: User, now=None) -> Chat:
    """End the chat; whether the transcript is kept follows the member's ``chat_transcript`` consent."""
    from consent.processors import may_process

    chat = _locked(chat)
    if not permissions.can_close_chat(actor, chat):
        raise PermissionDenied
    now = now or timezone.now()
    kept = chat.member is not None and may_process(chat.member, "chat.transcript")
    chat.status = ChatStatus.CLOSED
    chat.closed_at = now
    chat.transcript_kept = kept
    chat.save(update_fields=["status", "closed_at", "transcript_kept"])
    message = _system(chat, "closed", actor.public_name)
    _broadcast_message(chat, message)
    _broadcast_state(chat)
    events.chat_closed.send_on_commit(chat=chat, actor=actor)
    return chat


@transaction.atomic
def chat_thread_accept(*, chat: Chat, member: User) -> Chat:
    """The member agrees: the conversation becomes a forum thread under their handle."""
    from community.models import Forum
    from community.services import thread_create

    chat = _locked(chat)
    if not permissions.can_accept_thread_offer(member, chat):
        raise PermissionDenied
    forum = Forum.objects.get(pk=chat.thread_offer_forum_id)
    lines = []
    for message in chat.messages.select_related("author").exclude(kind=MessageKind.SYSTEM).order_by("seq"):
        if message.kind == MessageKind.MEMBER:
            lines.append(message.body)
        elif message.kind == MessageKind.BOT:
            lines.append(_bot_quote(message))
        else:
            quoted = "\n".join(f"> {line}" for line in message.body.splitlines())
            lines.append(
                _("**Support (@%(handle)s):**") % {"handle": message.author.public_name if message.author else "-"}
                + "\n"
                + quoted
            )
    body = "\n\n".join(lines)[:19_000]
    thread = thread_create(forum=forum, author=member, title=chat.topic, body=body)
    chat.thread = thread
    chat.save(update_fields=["thread"])
    message = _system(chat, "thread", thread.get_absolute_url())
    _broadcast_message(chat, message)
    _broadcast_state(chat, queue=False)
    return chat


# --- the help bot -------------------------------------------------------------------------


def _bot_texts() -> dict:
    """The bot's own lines in the active language."""
    return {
        "closed_hours": _(
            "Support is offline right now (outside business hours), so no person can join this chat. "
            "If this does not solve it, leave an offline message: support answers it as a private question "
            "in the forums and you are notified."
        ),
        "helped": _("Glad it helped! You can end the chat now."),
        "helped_waiting": _("Glad it helped! You can end the chat now, or stay in the queue if you need more."),
        "not_helped": _("Sorry it did not help. Talk to a person, or describe the problem in other words."),
        "not_helped_waiting": _("Sorry it did not help. You stay in the queue: a person will be with you shortly."),
        "not_found": _("I could not find an answer to that. Talk to a person, or describe it in other words."),
    }


def _bot_append(chat: Chat, *, body: str, html: str) -> ChatMessage:
    return _append(chat=chat, kind=MessageKind.BOT, author=None, body=body, html=html)


def _bot_say(chat: Chat, code: str) -> ChatMessage:
    """One of the bot's own lines, in the chat's language, stored and broadcast after commit."""
    with override(chat.language):
        text = str(_bot_texts()[code])
    message = _bot_append(chat, body=text, html=str(format_html("<p>{}</p>", text)))
    _broadcast_message(chat, message)
    return message


def _bot_answer(chat: Chat, candidate: bot.BotCandidate) -> BotAnswer:
    """The bot's answer line (what it found, a short extract and the link) and its row for the insight counts."""
    with override(chat.language):
        intro = (
            _("This article in the knowledge base may answer your question:")
            if candidate.kind == BotSourceKind.KB_ARTICLE
            else _("This accepted answer in the forums may help:")
        )
        question = _("Did this solve it?")
        html = format_html(
            '<p>{}</p><p><a href="{}"><strong>{}</strong></a></p>{}<p>{}</p>',
            intro,
            candidate.url,
            candidate.title,
            format_html("<blockquote><p>{}</p></blockquote>", candidate.extract) if candidate.extract else "",
            question,
        )
        body = "\n".join(part for part in (intro, candidate.title, candidate.extract, candidate.url, question) if part)
    message = _bot_append(chat, body=body, html=str(html))
    answer = BotAnswer.objects.create(
        chat=chat, message=message, source_kind=candidate.kind, source_id=candidate.id, score=candidate.score
    )
    _broadcast_message(chat, message, ask=answer.pk)
    return answer


def _bot_quote(message: ChatMessage) -> str:
    quoted = "\n".join(f"> {line}" for line in message.body.splitlines())
    return _("**Help bot (automated):**") + "\n" + quoted


@transaction.atomic
def bot_reply(*, chat: Chat, message: ChatMessage) -> BotAnswer | None:
    """The bot answers a member's later line while no person has joined; None when it has nothing to offer.

    With the bot (``BOT``) it says so when it finds nothing, so the member is never left without a reply;
    in the queue (``WAITING``) it stays silent then: a person is coming anyway.
    """
    chat = _locked(chat)
    if chat.status not in BOT_STATUSES or message.kind != MessageKind.MEMBER or message.chat_id != chat.pk:
        return None
    candidate = bot.best_answer(message.body, language=chat.language)
    if candidate is None:
        if chat.status == ChatStatus.BOT:
            _bot_say(chat, "not_found")
        return None
    return _bot_answer(chat, candidate)


@transaction.atomic
def bot_feedback_record(*, chat: Chat, member: User, answer_id, helped: bool) -> BotAnswer:
    """The member's "Did this solve it?": stored once per answer, answered by the bot in the conversation."""
    chat = _locked(chat)
    if chat.member_id != member.pk or chat.status not in BOT_STATUSES:
        raise PermissionDenied
    if isinstance(answer_id, bool) or not isinstance(answer_id, int | str) or not str(answer_id).isdigit():
        raise ValidationError({"answer": _("Invalid answer reference.")})
    answer = BotAnswer.objects.filter(pk=int(answer_id), chat=chat).first()
    if answer is None:
        raise ValidationError({"answer": _("Invalid answer reference.")})
    if answer.helped != BotHelped.UNKNOWN:
        return answer
    answer.helped = BotHelped.YES if helped else BotHelped.NO
    answer.save(update_fields=["helped"])
    waiting = chat.status == ChatStatus.WAITING
    code = ("helped" if helped else "not_helped") + ("_waiting" if waiting else "")
    _bot_say(chat, code)
    live.send_on_commit(live.chat_group(chat.pk), {"type": "chat.bot_feedback", "answer": answer.pk})
    return answer


@transaction.atomic
def chat_handover(*, chat: Chat, member: User, now=None) -> Chat:
    """ "Talk to a person": the chat joins the queue for staff, who see the whole conversation, the bot's lines too.

    Outside business hours nobody can join: the conversation becomes an offline message instead, a private
    forum thread support answers with the normal reply (the member is notified there).
    """
    chat = _locked(chat)
    if chat.member_id != member.pk or chat.status != ChatStatus.BOT:
        raise PermissionDenied
    now = now or timezone.now()
    chat.bot_answers.update(handed_over=True)
    config = ChatSettings.load()
    if config.is_open(now):
        chat.status = ChatStatus.WAITING
        chat.save(update_fields=["status"])
        message = _system(chat, "waiting")
        _broadcast_message(chat, message)
        _broadcast_state(chat)
        return chat
    from community.services import thread_create

    forum = selectors.offline_forum_for(member=member, config=config)
    if forum is None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "Support is offline and there is no forum to leave a message in. "
                    "Please try again during business hours."
                )
            }
        )
    lines = []
    for line in chat.messages.exclude(kind=MessageKind.SYSTEM).order_by("seq"):
        lines.append(_bot_quote(line) if line.kind == MessageKind.BOT else line.body)
    thread = thread_create(
        forum=forum, author=member, title=chat.topic, body="\n\n".join(lines)[:19_000], is_private=True
    )
    chat.status = ChatStatus.OFFLINE
    chat.thread = thread
    chat.save(update_fields=["status", "thread"])
    _broadcast_state(chat)
    return chat


# --- moderators ---------------------------------------------------------------------------


@transaction.atomic
def chat_take(*, chat: Chat, moderator: User, now=None) -> Chat:
    """A moderator takes a waiting chat; a second moderator taking it at the same time is refused."""
    chat = _locked(chat)
    if not permissions.can_take_chat(moderator, chat):
        raise PermissionDenied
    chat.status = ChatStatus.ACTIVE
    chat.moderator = moderator
    chat.taken_at = now or timezone.now()
    chat.save(update_fields=["status", "moderator", "taken_at"])
    message = _system(chat, "taken", moderator.public_name)
    _broadcast_message(chat, message)
    _broadcast_state(chat)
    return chat


@transaction.atomic
def chat_transfer(*, chat: Chat, actor: User, to: User) -> Chat:
    """Hand an active chat to another moderator, who is told in the app."""
    from portal.notifications import notification_send

    chat = _locked(chat)
    if chat.status != ChatStatus.ACTIVE or not permissions.can_manage_chat(actor, chat):
        raise PermissionDenied
    if to.pk == actor.pk or to.pk == chat.member_id or not permissions.is_chat_moderator(to):
        raise ValidationError({"to": _("Choose another moderator.")})
    chat.moderator = to
    chat.save(update_fields=["moderator"])
    message = _system(chat, "transferred", actor.public_name, to.public_name)
    _broadcast_message(chat, message)
    _broadcast_state(chat)
    notification_send(
        recipient=to,
        kind="chat.assigned",
        message="chat.transferred",
        params={"topic": chat.topic},
        url=f"/chat/console/{chat.pk}/",
    )
    return chat


def _normalise_tag(name) -> tuple[str, str]:
    name = " ".join(str(name or "").strip().lstrip("#").split()).lower()
    if not name:
        raise ValidationError({"tag": _("A tag cannot be empty.")})
    if len(name) > TAG_MAX:
        raise ValidationError({"tag": _("A tag has at most %(max)d characters.") % {"max": TAG_MAX}})
    slug = slugify(name)
    if not slug:
        raise ValidationError({"tag": _("A tag needs at least one letter or digit.")})
    return name, slug


@transaction.atomic
def chat_tag_add(*, chat: Chat, actor: User, name) -> ChatTag | None:
    """Tag a chat; sends ``events.chat_tagged`` after commit (the CRM's interest). None if already tagged."""
    if not permissions.can_tag_chat(actor, chat):
        raise PermissionDenied
    name, slug = _normalise_tag(name)
    if chat.tags.filter(slug=slug).exists():
        return None
    if chat.tags.count() >= 5:
        raise ValidationError({"tag": _("A chat has at most %(max)d tags.") % {"max": 5}})
    tag = ChatTag.objects.create(chat=chat, name=name, slug=slug, added_by=actor)
    event = {"type": "chat.tags", "tags": list(chat.tags.values_list("name", flat=True))}
    live.send_on_commit(live.chat_group(chat.pk), event)
    events.chat_tagged.send_on_commit(chat=chat, tag=tag, actor=actor)
    return tag


@transaction.atomic
def chat_thread_offer(*, chat: Chat, actor: User, forum) -> Chat:
    """Propose publishing the conversation as a thread; nothing is published until the member accepts."""
    from community.permissions import can_view_forum

    chat = _locked(chat)
    if not permissions.can_manage_chat(actor, chat) or chat.is_offline or chat.thread_id:
        raise PermissionDenied
    if forum is None or forum.is_private or not can_view_forum(chat.member, forum):
        raise ValidationError({"forum": _("Choose a public forum.")})
    chat.thread_offer_forum = forum
    chat.save(update_fields=["thread_offer_forum"])
    message = _system(chat, "offer", forum.name)
    _broadcast_message(chat, message)
    _broadcast_state(chat, queue=False)
    return chat


# --- retention ----------------------------------------------------------------------------


def retention_queryset(*, cutoff, consented: bool):
    """Closed chats past a retention cutoff: without a live ``chat_transcript`` consent, or kept with one.

    The two sets are disjoint, so the DPO's two policies (``chat.transcripts`` and
    ``chat.transcripts_consented`` in the retention registry) each count what they alone delete. A
    withdrawn consent moves a kept transcript to the short period. Neither deletes the chats of a
    member under a restriction of processing (Art. 18): they are stored until the DPO lifts it.
    """
    from consent.selectors import held_for_storage, live_consent

    queryset = (
        Chat.objects.exclude(status__in=OPEN_STATUSES)
        .filter(closed_at__isnull=False, closed_at__lte=cutoff)
        .exclude(held_for_storage("member"))
        .alias(consent_live=live_consent("chat_transcript", user_ref="member"))
    )
    if consented:
        return queryset.filter(transcript_kept=True, consent_live=True)
    return queryset.exclude(transcript_kept=True, consent_live=True)


def retention_due(*, now=None):
    """Closed chats the next retention run deletes, per the DPO's two chat policies."""
    from consent.dsar.retention import policy_cutoff

    now = now or timezone.now()
    due = Q(pk__in=[])
    for code, consented in (("chat.transcripts", False), ("chat.transcripts_consented", True)):
        cutoff = policy_cutoff(code, now=now)
        if cutoff is not None:
            due |= Q(pk__in=retention_queryset(cutoff=cutoff, consented=consented).values("pk"))
    return Chat.objects.filter(due)


def retention_ids(*, cutoff, consented: bool) -> list[int]:
    """The ids of the chats one retention policy removes at ``cutoff`` (its preview counts them, its run removes them)."""
    return list(retention_queryset(cutoff=cutoff, consented=consented).order_by("pk").values_list("pk", flat=True))


def chat_retention_remove(*, ids: list[int]) -> int:
    """Delete exactly these chats (the retention run then purges their copies elsewhere); returns how many went."""
    return chat_retention_delete(queryset=Chat.objects.filter(pk__in=ids))


@transaction.atomic
def chat_retention_delete(*, queryset) -> int:
    """Delete these chats with their messages and tags; returns how many chats went."""
    due = list(queryset.values_list("pk", flat=True))
    BotAnswer.objects.filter(chat_id__in=due).delete()
    ChatMessage.objects.filter(chat_id__in=due).delete()
    ChatTag.objects.filter(chat_id__in=due).delete()
    Chat.objects.filter(pk__in=due).delete()
    return len(due)


def chat_retention_run(*, now=None) -> int:
    """Delete every chat past its retention now, with its copies elsewhere, as the daily ``dsar.retention`` run does."""
    from consent.dsar.retention import categories_apply

    results = categories_apply(codes=["chat.transcripts", "chat.transcripts_consented"], now=now)
    return sum(entry.get("deleted", 0) for entry in results.values())

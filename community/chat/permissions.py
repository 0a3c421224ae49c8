"""Who may see and do what in the live chat; consumers, views and services all ask here."""

from __future__ import annotations

from django.http import Http404

from community.chat.models import Chat, ChatStatus
from portal.roles import Role, has_role


def is_chat_moderator(user) -> bool:
    """Role-level moderators (and superusers) work the chat queue."""
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_superuser or has_role(user, Role.MODERATOR))
    )


def can_start_chat(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not user.erased_at and not user.is_suspended())


def can_view_chat(user, chat: Chat) -> bool:
    """The member sees their own chats; moderators see every chat."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return chat.member_id == user.pk or is_chat_moderator(user)


def can_post_in_chat(user, chat: Chat) -> bool:
    """The member and the moderator who took the chat write while it is open."""
    if not can_view_chat(user, chat) or not chat.is_open:
        return False
    if chat.member_id == user.pk:
        return True
    return chat.status == ChatStatus.ACTIVE and chat.moderator_id == user.pk


def can_take_chat(user, chat: Chat) -> bool:
    return is_chat_moderator(user) and chat.status == ChatStatus.WAITING and chat.member_id != user.pk


def can_manage_chat(user, chat: Chat) -> bool:
    """Transfer, tag and offer a thread: the moderator on the chat, or any moderator once nobody holds it."""
    if not is_chat_moderator(user) or chat.member_id == user.pk:
        return False
    return chat.moderator_id in (None, user.pk)


def can_close_chat(user, chat: Chat) -> bool:
    if not chat.is_open or not can_view_chat(user, chat):
        return False
    return chat.member_id == user.pk or can_manage_chat(user, chat)


def can_tag_chat(user, chat: Chat) -> bool:
    return is_chat_moderator(user) and chat.member_id != user.pk


def can_accept_thread_offer(user, chat: Chat) -> bool:
    return bool(
        user
        and user.is_authenticated
        and chat.member_id == user.pk
        and chat.thread_offer_forum_id
        and not chat.thread_id
    )


def access_chat(user, chat_id) -> Chat:
    """The chat ``chat_id`` if ``user`` may see it; Http404 otherwise (no hint that it exists)."""
    try:
        chat_id = int(chat_id)
    except (TypeError, ValueError):
        raise Http404
    chat = Chat.objects.select_related("member", "moderator").filter(pk=chat_id).first()
    if chat is None or not can_view_chat(user, chat):
        raise Http404
    return chat

"""Chat pages: the member's chat, the transcript download and the moderator console (thin: services do the work)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.chat import permissions, selectors, services
from community.chat.forms import ChatStartForm
from community.chat.models import BOT_STATUSES, CannedReply, ChatSettings, ChatStatus, MessageKind
from community.services import PostingBlocked
from consent.services import staff_view_record
from portal.forms import add_service_errors
from portal.middleware import back_office_language


def _client_strings() -> dict:
    """Texts the chat script shows, in the page's language (the script has no catalogue of its own)."""
    return {
        "connected": _("Connected"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "offline": _("You are offline. Messages are sent when the connection is back."),
        "refused": _("The chat connection was refused. Please reload the page."),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "typing": _("%s is typing…"),
        "queue": _("Your place in the queue: %s"),
        "handled_by": _("Handled by %s"),
        "support": _("Support"),
        "bot": _("Help bot"),
        "automated": _("Automated"),
        "team": _("Team"),
        "deleted": _("deleted member"),
        "statuses": {code: str(label) for code, label in ChatStatus.choices},
        "empty": {
            "waiting": _("Nobody is waiting."),
            "active": _("No active chats."),
            "offline": _("No offline messages."),
        },
    }


def _require_moderator(request) -> None:
    if not permissions.is_chat_moderator(request.user):
        raise PermissionDenied


def _lines(chat) -> list[dict]:
    return selectors.chat_lines(chat)


@login_required
def chat_home(request):
    """Start a chat, or continue the open one; earlier chats with their transcripts."""
    open_chat = selectors.open_chat_for(request.user)
    if open_chat is not None:
        return redirect(open_chat.get_absolute_url())
    form = ChatStartForm(request.POST or None)
    ready, findings = False, []
    if request.method == "POST" and form.is_valid():
        ready, findings = form.personal_data_step(publish_after_removal=True)
    if ready:
        try:
            chat = services.chat_start(
                member=request.user,
                topic=form.cleaned_data["topic"],
                body=form.cleaned_data["body"],
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.ChatRateLimited as exc:
            form.add_error(None, str(exc))
        except PostingBlocked as exc:
            form.add_error(None, exc.message)
        except PermissionDenied:
            form.add_error(None, _("You cannot start a chat with this account."))
        else:
            if chat.is_offline:
                messages.info(
                    request,
                    _(
                        "We’re offline — your message became a private question; "
                        "support answers here and you’ll be notified."
                    ),
                )
            return redirect(chat.get_absolute_url())
    return render(
        request,
        "chat/chat_home.html",
        {
            "form": form,
            "findings": findings,
            "is_open": ChatSettings.load().is_open(),
            "earlier": selectors.chats_of_member(member=request.user),
            "chat_strings": _client_strings(),
        },
    )


@login_required
def chat_room(request, chat_id: int):
    """The member's chat page: rendered in full, so a reload shows everything; the socket adds what follows."""
    chat = permissions.access_chat(request.user, chat_id)
    if chat.is_offline and chat.thread_id:
        return redirect(chat.get_absolute_url())
    if chat.member_id != request.user.pk:
        return redirect("chat:console_chat", chat_id=chat.pk)
    lines = _lines(chat)
    first = next((line["message"].body for line in lines if line["message"].kind == MessageKind.MEMBER), "")
    waiting = chat.status in BOT_STATUSES
    return render(
        request,
        "chat/chat_room.html",
        {
            "chat": chat,
            "lines": lines,
            "queue_position": selectors.queue_position(chat),
            "suggestions": selectors.kb_suggestions(f"{chat.topic} {first}") if waiting else [],
            "waiting": waiting,
            "with_bot": chat.status == ChatStatus.BOT,
            "support_open": ChatSettings.load().is_open(),
            "can_post": permissions.can_post_in_chat(request.user, chat),
            "can_accept_offer": permissions.can_accept_thread_offer(request.user, chat),
            "chat_strings": _client_strings(),
        },
    )


@login_required
def chat_transcript(request, chat_id: int):
    """A plain-text download of one's own chat (moderators may download any)."""
    chat = permissions.access_chat(request.user, chat_id)
    staff_view_record(actor=request.user, member=chat.member, what="chat_transcript", target=f"chat {chat.pk}")
    response = HttpResponse(selectors.transcript_text(chat), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="chat-{chat.pk}.txt"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def chat_accept_thread(request, chat_id: int):
    """The member agrees to publish the conversation as a forum thread."""
    chat = permissions.access_chat(request.user, chat_id)
    try:
        chat = services.chat_thread_accept(chat=chat, member=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(chat.get_absolute_url())
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("This conversation cannot be published."))
        return redirect(chat.get_absolute_url())
    messages.success(request, _("Your conversation is now a forum thread."))
    return redirect(chat.thread.get_absolute_url())


@login_required
@require_POST
def chat_bot_feedback(request, chat_id: int):
    """The member answers the help bot's "Did this solve it?" (the page works without the socket, too)."""
    chat = permissions.access_chat(request.user, chat_id)
    try:
        services.bot_feedback_record(
            chat=chat,
            member=request.user,
            answer_id=request.POST.get("answer", ""),
            helped=request.POST.get("helped") == "yes",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("This chat no longer takes answers for the help bot."))
    return redirect(chat.get_absolute_url())


@login_required
@require_POST
def chat_talk_to_person(request, chat_id: int):
    """ "Talk to a person": the chat joins the staff queue, or, outside business hours, becomes an offline message."""
    chat = permissions.access_chat(request.user, chat_id)
    try:
        chat = services.chat_handover(chat=chat, member=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("This chat is already with support."))
    else:
        if chat.is_offline:
            messages.info(
                request,
                _(
                    "We’re offline — your conversation became a private question; "
                    "support answers here and you’ll be notified."
                ),
            )
    return redirect(chat.get_absolute_url())


@login_required
@back_office_language
def console(request):
    """The moderators' queue: waiting and active chats and unanswered offline messages, updated live."""
    _require_moderator(request)
    return render(request, "chat/console.html", {"lists": selectors.console_lists(), "chat_strings": _client_strings()})


@login_required
@back_office_language
def console_chat(request, chat_id: int):
    """One chat in the console: conversation, member's handle and earlier chats, canned replies and actions."""
    _require_moderator(request)
    chat = permissions.access_chat(request.user, chat_id)
    if chat.is_offline and chat.thread_id:
        # Offline messages are answered in their private thread with the normal reply.
        return redirect(chat.get_absolute_url())
    staff_view_record(actor=request.user, member=chat.member, what="chat_view", target=f"chat {chat.pk}")
    from community.models import Forum

    language = getattr(request, "LANGUAGE_CODE", "")
    return render(
        request,
        "chat/console_chat.html",
        {
            "chat": chat,
            "lines": _lines(chat),
            "lists": selectors.console_lists(),
            "earlier": selectors.chats_of_member(member=chat.member, exclude=chat.pk, limit=10),
            "canned": [c for c in CannedReply.objects.all() if not c.language or c.language == language],
            "moderators": [m for m in selectors.moderators() if m.pk not in (request.user.pk, chat.member_id)],
            "forums": Forum.objects.filter(is_private=False).order_by("order", "name"),
            "tags": list(chat.tags.all()),
            "can_post": permissions.can_post_in_chat(request.user, chat),
            "can_take": permissions.can_take_chat(request.user, chat),
            "can_manage": permissions.can_manage_chat(request.user, chat) and chat.is_open,
            "chat_strings": _client_strings(),
        },
    )

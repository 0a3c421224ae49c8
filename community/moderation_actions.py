"""The moderators' buttons on posts and threads, one small handler each, for the forum pages and the back office.

Each handler only calls a service, so both places run the same permission checks and logging.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from community import services

Handler = Callable[..., object]


def _reason(data: Mapping) -> str:
    return data.get("reason", "")


POST_ACTIONS: dict[str, Handler] = {
    "approve": lambda post, moderator, data: services.post_approve(post=post, moderator=moderator),
    "hide": lambda post, moderator, data: services.post_hide(post=post, moderator=moderator, reason=_reason(data)),
    "restore": lambda post, moderator, data: services.post_restore(post=post, moderator=moderator),
    "dismiss": lambda post, moderator, data: services.flags_dismiss(post=post, moderator=moderator),
}

THREAD_ACTIONS: dict[str, Handler] = {
    "lock": lambda thread, moderator, data: services.thread_set_locked(
        thread=thread, moderator=moderator, locked=True, reason=_reason(data)
    ),
    "unlock": lambda thread, moderator, data: services.thread_set_locked(
        thread=thread, moderator=moderator, locked=False, reason=_reason(data)
    ),
    "pin": lambda thread, moderator, data: services.thread_set_pinned(thread=thread, moderator=moderator, pinned=True),
    "unpin": lambda thread, moderator, data: services.thread_set_pinned(
        thread=thread, moderator=moderator, pinned=False
    ),
    "hide": lambda thread, moderator, data: services.thread_set_hidden(
        thread=thread, moderator=moderator, hidden=True, reason=_reason(data)
    ),
    "restore": lambda thread, moderator, data: services.thread_set_hidden(
        thread=thread, moderator=moderator, hidden=False, reason=_reason(data)
    ),
}


def run(request, handlers: Mapping[str, Handler], target) -> bool | None:
    """Run the pressed button on ``target`` and tell the moderator: True done, False refused, None unknown button."""
    handler = handlers.get(request.POST.get("action"))
    if handler is None:
        return None
    try:
        handler(target, request.user, request.POST)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, _("Done."))
    return True

"""The sentences of the community's notifications, worded in the reader's language when shown."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.notifications import as_datetime, register_message


def _handle(value) -> str:
    return value or gettext("deleted member")


def register_messages() -> None:
    register_message("community.reply", _("@%(handle)s replied to “%(title)s”"), values={"handle": _handle})
    register_message("community.mention", _("@%(handle)s mentioned you in “%(title)s”"), values={"handle": _handle})
    register_message("community.accepted", _("Your answer in “%(title)s” was accepted"))
    register_message(
        "community.watched_reply",
        _("@%(handle)s replied in “%(title)s”, which you watch"),
        values={"handle": _handle},
    )
    register_message(
        "community.watched_thread",
        _("@%(handle)s started “%(title)s” where you watch new threads"),
        values={"handle": _handle},
    )
    reason = _("Reason: %(reason)s")
    register_message(
        "community.post_hidden",
        _("A moderator hid your post in “%(title)s”"),
        body=reason,
        body_requires="reason",
    )
    register_message(
        "community.thread_hidden",
        _("A moderator hid your thread “%(title)s”"),
        body=reason,
        body_requires="reason",
    )
    register_message(
        "community.suspended",
        _("Your account is suspended from posting until %(until)s"),
        body=reason,
        body_requires="reason",
        values={"until": as_datetime},
    )
    register_message("chat.transferred", _("A chat was transferred to you: %(topic)s"))

"""The sentences of the ideas' notifications, worded in the reader's language when shown."""

from django.utils.translation import gettext_lazy as _

from portal.notifications import register_message


def _status(code) -> str:
    from ideas.models import Status

    return str(Status(code).label) if code in Status.values else str(code)


def register_messages() -> None:
    register_message(
        "ideas.status",
        _("Idea “%(title)s” is now: %(status)s"),
        body="%(response)s",
        body_requires="response",
        values={"status": _status},
    )
    register_message(
        "ideas.merged_vote",
        _("“%(duplicate)s” was merged into “%(original)s”; your vote now counts there"),
        body=_(
            "Your vote now counts for “%(original)s”. If you do not want to support it, open the idea and take your vote back."
        ),
    )
    register_message(
        "ideas.merged",
        _("“%(duplicate)s” was merged into “%(original)s”"),
        body=_("The discussion continues at “%(original)s”; you follow it there now."),
    )

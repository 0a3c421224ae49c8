"""In-app and e-mail notifications, shared by every domain app.

Apps declare their kinds with ``register_kind`` and their sentences with ``register_message`` (in their
AppConfig.ready) and call ``notification_send``; members choose per kind in their account settings.

A notification is stored as a message code plus its parameters, never as a sentence: it is worded in
the reader's language each time it is shown (and the mail in the recipient's language), so a German
member reads German even when an English-speaking member caused the notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.cache import OUTAGE_ERRORS
from portal.events import notifications_changed
from portal.models import Notification, NotificationPreference, User


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification a member can switch on or off per channel."""

    code: str
    label: str
    processor: str
    email_default: bool = False
    roles: tuple[str, ...] = ()  # only members of these roles get (and choose) it; empty: everyone

    def concerns(self, user) -> bool:
        from portal.roles import has_role

        return not self.roles or any(has_role(user, role) for role in self.roles)


KINDS: dict[str, NotificationKind] = {}


def register_kind(
    code: str, label, *, processor: str, email_default: bool = False, roles: tuple[str, ...] = ()
) -> None:
    """Declare a kind with the registered processor (``consent.processors``) that sends it.

    ``roles``: a staff notice (chats transferred to me, changes of the DPO role) is offered in the
    preferences only to members of these roles, so a customer never sees staff workings.
    """
    KINDS[code] = NotificationKind(
        code=code, label=label, processor=processor, email_default=email_default, roles=tuple(roles)
    )


register_kind("account", _("Account and security notices"), processor="portal.account")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationMessage:
    """A sentence of a notification (title and optional body), worded in the reader's language when shown.

    ``values`` turns a stored parameter into its wording (a status code into its translated label, an
    ISO date into the locale's date format); ``body_requires`` names a parameter without which the body is
    left out (an optional reason or note).
    """

    code: str
    title: Any
    body: Any = ""
    values: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    body_requires: str = ""

    def wording(self, params: Mapping[str, Any]) -> tuple[str, str]:
        shown = {name: self.values[name](value) if name in self.values else value for name, value in params.items()}
        title = str(self.title) % shown
        body = ""
        if self.body and (not self.body_requires or params.get(self.body_requires)):
            body = str(self.body) % shown
        return title, body


MESSAGES: dict[str, NotificationMessage] = {}

# Rows written before notifications were stored as parameters keep their sentence in ``params["title"]``.
FALLBACK_MESSAGE = "portal.text"


def register_message(
    code: str,
    title,
    *,
    body="",
    values: Mapping[str, Callable[[Any], str]] | None = None,
    body_requires: str = "",
) -> None:
    """Declare a notification sentence (lazy translations with ``%(name)s`` placeholders for its parameters)."""
    MESSAGES[code] = NotificationMessage(
        code=code, title=title, body=body, values=dict(values or {}), body_requires=body_requires
    )


def as_date(value) -> str:
    """A stored ISO date in the active locale's date format."""
    parsed = parse_date(str(value)) if value else None
    return formats.date_format(parsed, "DATE_FORMAT") if parsed else str(value or "")


def as_datetime(value) -> str:
    """A stored ISO date and time in the active locale's format, in the portal's time zone."""
    parsed = parse_datetime(str(value)) if value else None
    if parsed is None:
        return str(value or "")
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return formats.date_format(parsed, "DATETIME_FORMAT")


register_message(FALLBACK_MESSAGE, "%(title)s", body="%(body)s", body_requires="body")


def wording(message: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Title and body of a notification in the active language; an unknown code shows its fallback text."""
    spec = MESSAGES.get(message)
    if spec is not None:
        try:
            return spec.wording(params)
        except (KeyError, TypeError, ValueError):
            logger.warning("notification message %s cannot be worded with parameters %s", message, sorted(params))
    return str(params.get("title") or message), str(params.get("body") or "")


def preferences_for(user: User) -> dict[str, NotificationPreference]:
    """Every kind with the member's stored choice or the default (unsaved rows)."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    return {
        code: stored.get(code) or NotificationPreference(user=user, kind=code, in_app=True, email=kind.email_default)
        for code, kind in KINDS.items()
        if kind.concerns(user)
    }


def preferences_update(*, user: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store (in_app, email) per kind; unknown kinds are ignored."""
    with transaction.atomic():
        for code, (in_app, email) in choices.items():
            if code in KINDS and KINDS[code].concerns(user):
                NotificationPreference.objects.update_or_create(
                    user=user, kind=code, defaults={"in_app": in_app, "email": email}
                )


def notification_send(
    *, recipient: User, kind: str, message: str, params: Mapping[str, Any] | None = None, url: str = ""
) -> Notification | None:
    """Notify one member by the channels they chose; the e-mail leaves through the task worker after commit.

    ``message`` is a registered sentence and ``params`` its parameters (plain JSON values: the sentence is
    worded when shown, in the reader's language); the mail is worded now, in the recipient's language.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    if message not in MESSAGES:
        raise ValueError(f"Unknown notification message {message!r}")
    params = dict(params or {})
    if any(isinstance(value, Promise) for value in params.values()):
        raise TypeError("Pass codes and the member's own texts as parameters, not translated text")
    MESSAGES[message].wording(params)  # a missing parameter fails here, in the sender's test, not when shown
    if not recipient.is_active or recipient.erased_at:
        return None
    from portal.mail import mail_queue
    from portal.tasks import may_process

    processor = KINDS[kind].processor
    # A notification is derived from the member's data, so a restricted member gets neither it nor the mail.
    if not may_process(recipient, processor):
        return None
    pref = NotificationPreference.objects.filter(user=recipient, kind=kind).first()
    in_app = pref.in_app if pref else True
    email = pref.email if pref else KINDS[kind].email_default
    notification = None
    if in_app:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, message=message, params=params, url=url[:500]
            )
            User.objects.filter(pk=recipient.pk).update(unread_notifications=F("unread_notifications") + 1)
            notifications_changed.send_on_commit(user_id=recipient.pk)
    if email:
        with in_language(recipient):
            title, body = wording(message, params)
        link = f"{settings.PORTAL_BASE_URL}{url}" if url.startswith("/") else url
        text = "\n\n".join(filter(None, [body or title, link]))
        mail_queue(user=recipient, processor=processor, subject=title[:200], body=text)
    return notification


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the member's notifications (all, or ``ids``) read; the unread counter is recounted."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    with transaction.atomic():
        marked = qs.update(read_at=timezone.now())
        unread_recount(user_ids=[user.pk])
        if marked:
            notifications_changed.send_on_commit(user_id=user.pk)
    user.unread_notifications = User.objects.values_list("unread_notifications", flat=True).get(pk=user.pk)
    return marked


def unread_recount(*, user_ids: list[int] | None = None) -> int:
    """Set the unread counters from the notification rows (all members, or ``user_ids``)."""
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = User.objects.all() if user_ids is None else User.objects.filter(pk__in=user_ids)
    return members.update(unread_notifications=Coalesce(Subquery(unread), 0))


def unread_count(user) -> int:
    """The header badge: read from the user row the request already loaded (no query)."""
    if not user.is_authenticated:
        return 0
    return user.unread_notifications


def recent_for(user: User, limit: int = 50):
    return Notification.objects.filter(recipient=user)[:limit]


def notification_state(*, user_id: int) -> tuple[int, int]:
    """(unread count, id of the newest notification or 0) of one member, in one indexed query.

    Open pages compare it with what they show: the badge follows the count, the notifications
    page reloads its list when either value moved.
    """
    newest = Notification.objects.filter(recipient=OuterRef("pk")).values("pk")[:1]
    row = (
        User.objects.filter(pk=user_id)
        .annotate(newest=Subquery(newest))
        .values_list("unread_notifications", "newest")
        .first()
    )
    return (row[0], row[1] or 0) if row else (0, 0)


def notifications_group(user_id: int) -> str:
    """The channel-layer group of one member's open pages (``portal.consumers.NotificationConsumer``)."""
    return f"portal.notifications.{user_id}"


def push_notifications_changed(*, user_id: int, **kwargs) -> None:
    """Tell the member's open pages to re-read their own notification state (the message carries none)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(notifications_group(user_id), {"type": "notifications.changed"})
    except OUTAGE_ERRORS as error:
        # Redis is down: the pages re-read the state when their socket reconnects.
        logger.warning("Live notification update skipped, channel layer unreachable: %s", error)


def in_language(user: User):
    """Context manager: render text in the member's preferred language."""
    return translation.override(user.preferred_language or settings.LANGUAGE_CODE)

"""In-app and e-mail notifications, shared by every domain app.

Apps declare their kinds with ``register_kind`` (in their AppConfig.ready) and call
``notification_send``; members choose per kind in their account settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

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


def notification_send(*, recipient: User, kind: str, title: str, url: str = "", body: str = "") -> Notification | None:
    """Notify one member by the channels they chose; the e-mail leaves through the task worker after commit."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
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
            notification = Notification.objects.create(recipient=recipient, kind=kind, title=title[:300], url=url[:500])
            User.objects.filter(pk=recipient.pk).update(unread_notifications=F("unread_notifications") + 1)
    if email:
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


def in_language(user: User):
    """Context manager: render text in the member's preferred language."""
    return translation.override(user.preferred_language or settings.LANGUAGE_CODE)

"""The newsletter's mail: double opt-in links and their confirmation mail, and issues to every live subscriber.

The consent itself (pending, confirmed, withdrawn, expired) is written by ``consent.services``;
this module holds what goes out by e-mail and how a link in it is checked.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consent.models import OptInToken, Purpose
from consent.selectors import consents_live
from consent.unsubscribe import unsubscribe_token
from portal.mail import mail_queue
from portal.models import User


class OptInError(ValidationError):
    """A double opt-in link that is unknown, used or expired."""


def opt_in_token_hash(token: str) -> str:
    """Only the hash of a link's token is stored, so a database copy confirms nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def opt_in_url(token: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("consent:opt_in_confirm", args=[token])


def opt_in_mail_send(*, user, purpose: Purpose, token: str, hours: int) -> None:
    """Queue the confirmation mail once the pending consent is committed."""
    with translation.override(user.preferred_language):
        subject = _("Please confirm: %(purpose)s") % {"purpose": purpose.name}
        body = _(
            'You asked to receive "%(purpose)s".\n\n'
            "Please confirm by opening this link within %(hours)s hours:\n\n%(url)s\n\n"
            "Until you confirm, you will get nothing from us. If this was not you, ignore this e-mail: "
            "without confirmation nothing happens."
        ) % {"purpose": purpose.name, "hours": hours, "url": opt_in_url(token)}
    mail_queue(user=user, processor="consent.opt_in_mail", subject=subject, body=body)


def opt_in_lookup(token: str) -> OptInToken:
    """The open opt-in of a token, or OptInError saying why it cannot be confirmed."""
    row = OptInToken.objects.select_related("purpose", "user").filter(token_hash=opt_in_token_hash(token or "")).first()
    if row is None:
        raise OptInError(_("This confirmation link is not valid."), code="invalid")
    if row.used_at is not None:
        raise OptInError(_("This confirmation link was already used or replaced by a newer one."), code="used")
    if row.expires_at <= timezone.now():
        raise OptInError(
            _("This confirmation link has expired. Subscribe again in the privacy centre."), code="expired"
        )
    return row


def newsletter_send(*, subject: str, body: str) -> int:
    """Queue one newsletter issue to every member whose newsletter consent is live; returns the count.

    ``consents_live`` already leaves out restricted and objecting members; each mail asks
    ``may_process`` (processor ``consent.newsletter``: the live consent) again when it is sent.
    """
    recipients = User.objects.filter(
        pk__in=consents_live("newsletter").values("user_id"), is_active=True, erased_at__isnull=True
    ).order_by("pk")
    sent = 0
    for user in recipients.iterator(chunk_size=2000):
        marketing_mail_queue(user=user, purpose="newsletter", subject=subject, body=body)
        sent += 1
    return sent


def unsubscribe_url(user, purpose: str) -> str:
    """The member's one-click unsubscribe link for ``purpose``: works without login, never expires (RFC 8058)."""
    return settings.PORTAL_BASE_URL + reverse("consent:unsubscribe", args=[unsubscribe_token(user, purpose)])


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The RFC 8058 headers every marketing mail carries, so mail programs offer the one-click unsubscribe."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def marketing_mail_queue(*, user, purpose: str, subject: str, body: str):
    """Queue one marketing mail with RFC 8058 one-click unsubscribe; the worker checks the consent when it leaves."""
    url = unsubscribe_url(user, purpose)
    with translation.override(user.preferred_language):
        footer = _(
            "You receive this because you subscribed in the privacy centre. Unsubscribe with one click: %(url)s"
        ) % {"url": url}
    return mail_queue(
        user=user,
        processor=f"consent.{purpose}",
        subject=subject,
        body=f"{body}\n\n-- \n{footer}\n",
        headers=unsubscribe_headers(url),
    )

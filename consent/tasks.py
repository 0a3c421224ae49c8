"""Background work of the privacy core: marketing mail that checks consent when it is sent."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from portal.models import User


@task(queue_name="email")
def send_marketing_email(*, user_id: int, purpose: str, subject: str, body: str) -> bool:
    """Send one marketing e-mail if the consent is live at send time, with RFC 8058 one-click unsubscribe."""
    from consent.processors import may_process
    from consent.unsubscribe import unsubscribe_token

    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None or not may_process(user, f"consent.{purpose}"):
        return False
    url = settings.PORTAL_BASE_URL + reverse("consent:unsubscribe", args=[unsubscribe_token(user, purpose)])
    with translation.override(user.preferred_language):
        footer = _(
            "You receive this because you subscribed in the privacy centre. Unsubscribe with one click: %(url)s"
        ) % {"url": url}
    message = EmailMessage(
        subject=subject,
        body=f"{body}\n\n-- \n{footer}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.send()
    return True


@task(queue_name="privacy")
def expire_pending_opt_ins() -> int:
    """Daily: opt-ins whose confirmation link expired become expired in the ledger."""
    from consent.services import consent_expire_pending

    return consent_expire_pending()


@task(queue_name="privacy")
def sign_ledger_checkpoint() -> int | None:
    """Sign a checkpoint of the ledger head (run periodically; appends also sign every N events)."""
    from consent.ledger import checkpoint_now

    checkpoint = checkpoint_now()
    return checkpoint.tree_size if checkpoint else None

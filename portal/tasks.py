"""Background work of the shell: outgoing member e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from portal.models import User


@task(queue_name="email")
def send_member_email(*, user_id: int, subject: str, body: str, headers: dict | None = None) -> bool:
    """Send one plain-text e-mail to a member; skipped when the account is gone or erased."""
    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None:
        return False
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=headers or {},
    )
    message.send()
    return True


@task(queue_name="email")
def send_address_email(*, to: str, subject: str, body: str, headers: dict | None = None) -> bool:
    """Send one plain-text e-mail to an address that may not be a confirmed member yet."""
    EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers or {}
    ).send()
    return True

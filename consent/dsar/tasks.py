"""Background work of access requests: building exports, mailing codes, the daily retention run."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task


@task(queue_name="privacy")
def build_export(*, export_id: str) -> str:
    """Build one MyData ZIP off the request path."""
    from consent.dsar.services import export_build

    return export_build(export_id=export_id).status


@task(queue_name="email")
def send_verification_code(*, request_id: str, user_id: int, code: str) -> bool:
    """Mail the single-use code to the address on the account (never to an address from the request)."""
    from django.conf import settings
    from django.core.mail import send_mail

    from portal.models import User

    user = User.objects.filter(pk=user_id, erased_at__isnull=True).first()
    if user is None:
        return False
    url = settings.PORTAL_BASE_URL + reverse("consent:dsar:verify", args=[request_id])
    with translation.override(user.preferred_language):
        subject = _("Confirm your privacy request")
        body = _(
            "We received a privacy request for your account. If it was you, enter this code within 24 hours: "
            "%(code)s\n\n%(url)s\n\nIf it was not you, ignore this message."
        ) % {"code": code, "url": url}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


@task(queue_name="privacy")
def retention_run() -> dict:
    """Daily: delete what has outlived its retention."""
    from consent.dsar.retention import retention_apply

    return retention_apply()

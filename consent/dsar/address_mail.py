"""Mail to a requester who is not a member: the verification code and the notices a member gets in the portal.

There is no account to notify, so the request's own address receives them, in the language the DPO
recorded, after the step that causes them has committed.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation

from consent.processors import may_process
from portal.notifications import wording

logger = logging.getLogger(__name__)


def address_notice(*, request, message: str, params: dict) -> None:
    """The notice ``message`` (a registered notification message) to the request's address, after commit."""
    with translation.override(request.requester_language or settings.LANGUAGE_CODE):
        subject, body = wording(message, params)
    address_mail_queue(address=request.requester_email, subject=str(subject), body=str(body))


def address_mail_queue(*, address: str, subject: str, body: str) -> None:
    transaction.on_commit(partial(address_mail_send, address=address, subject=subject, body=body))


def address_mail_send(*, address: str, subject: str, body: str) -> bool:
    """Send one mail about a privacy request to a requester who is not a member; a failure is logged."""
    if not address or not may_process(None, "dsar.request_mail"):
        return False
    mail = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    try:
        mail.send(fail_silently=False)
    except OSError:
        logger.exception("The mail about a privacy request could not be sent")
        return False
    return True

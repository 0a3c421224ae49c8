"""Mail to members: written as a row with the change that causes it, sent by the worker, then deleted.

Every mail to a member goes through ``mail_queue``. The row (``portal.OutgoingMail``) holds the
rendered subject and body; the task carries only the row's id, so the task queue never holds an
address, a name or a message (an erasure deletes queued rows through the personal-data registry,
and a worker that runs the task afterwards finds nothing to send). The row names its processor:
the worker asks ``may_process`` when the mail leaves, so a restriction, an objection or a withdrawn
consent that arrives while the mail waits still stops it. A mail is sent at most once: the worker
locks the row, sends and deletes it in one transaction; a second run finds no row.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django_tasks import task

from portal.events import Event, enqueue_on_commit
from portal.models import OutgoingMail

logger = logging.getLogger(__name__)

# A tagged mail has left the queue: ``tag`` as queued, ``outcome`` "sent", "refused" (its processor
# may no longer act on the member) or "failed" (the mail server refused it). Only counts go out.
mail_left = Event("portal.mail_left")


def mail_queue(
    *,
    user,
    processor: str,
    subject: str,
    body: str,
    headers: dict | None = None,
    html_body: str = "",
    tag: str = "",
) -> OutgoingMail:
    """Queue one mail to ``user`` under ``processor``; it leaves after commit (dropped on rollback).

    ``body`` is the plain text; ``html_body``, when given, goes along as its HTML alternative. A
    ``tag`` makes the worker report the outcome through ``mail_left`` (a tagged mail the mail server
    refuses counts as failed instead of failing the task).
    """
    mail = OutgoingMail.objects.create(
        user=user,
        processor=processor,
        subject=str(subject)[:300],
        body=str(body),
        html_body=str(html_body),
        headers=headers or {},
        tag=tag,
    )
    enqueue_on_commit(deliver_mail, mail_id=mail.pk)
    return mail


@task(queue_name="email")
def deliver_mail(*, mail_id: int) -> bool:
    """Send one queued mail if its processor may still act on the member; the row goes either way."""
    from portal.tasks import may_process

    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().select_related("user").filter(pk=mail_id).first()
        if mail is None:
            return False  # sent by an earlier run, or the member was erased meanwhile
        user = mail.user
        allowed = user.erased_at is None and may_process(user, mail.processor)
        outcome = "sent" if allowed else "refused"
        if allowed:
            message = EmailMultiAlternatives(
                subject=mail.subject,
                body=mail.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[user.email],
                headers=mail.headers or {},
            )
            if mail.html_body:
                message.attach_alternative(mail.html_body, "text/html")
            try:
                message.send()
            except Exception:
                if not mail.tag:
                    raise
                logger.exception("mail %s (%s) was refused by the mail server", mail.pk, mail.tag)
                outcome = "failed"
        else:
            logger.info("mail %s not sent: processor %s may not act on member %s now", mail.pk, mail.processor, user.pk)
        mail.delete()
        if mail.tag:
            mail_left.send_on_commit(tag=mail.tag, outcome=outcome)
    return outcome == "sent"

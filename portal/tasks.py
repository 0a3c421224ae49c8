"""Background work every app shares: outgoing member e-mail, search index updates."""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task
from wagtail.search import index

from portal.models import User

# The privacy core installs its check here at start-up (consent.apps): the foundation cannot import it.
_processing_check = None


def set_processing_check(check) -> None:
    """Install ``consent.processors.may_process``, which every mail to a member asks before it leaves."""
    global _processing_check
    _processing_check = check


def may_process(member, processor: str) -> bool:
    """``consent.processors.may_process`` for the foundation; refuses everything until consent installed it."""
    return _processing_check is not None and _processing_check(member, processor)


@task(queue_name="email")
def send_member_email(*, user_id: int, processor: str, subject: str, body: str, headers: dict | None = None) -> bool:
    """Send one plain-text e-mail to a member; skipped when the account is gone or ``processor`` may not act now."""
    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None or not may_process(user, processor):
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


@task(queue_name="default")
def reindex(*, refs: list) -> int:
    """Bring the search index up to date for (model label, pk) pairs after a write; returns the rows indexed.

    Apps index explicitly after commit (``search_auto_update = False``), so a row that is gone, or
    no longer among its model's indexed objects, is removed from the index here.
    """
    pks_by_label: dict[str, list] = defaultdict(list)
    for label, pk in refs:
        pks_by_label[label].append(pk)
    done = 0
    for label, pks in pks_by_label.items():
        model = apps.get_model(label)
        rows = model.get_indexed_objects().in_bulk(pks)
        for pk in pks:
            row = rows.get(pk)
            if row is None:
                index.remove_object(model(pk=pk))
            else:
                index.insert_or_update_object(row)
                done += 1
    return done

"""Self-service account deletion: a member deletes their own account in the account settings.

The deletion is an erasure request of origin "self-service" that is in progress from the start, so
``may_process`` stops every processor that does not serve the member's own request (CRM, notification
and marketing mail, analysis, webhooks) at once, and every session of the member ends. After
``ACCOUNT_DELETION_GRACE_DAYS`` the scheduled sweep erases the account through the same erasure as the
DPO's (``member_erase_self_service``), which completes the request with its report; the report goes by
mail to the address the account had, once the erasure has committed. Signing in during the grace
period withdraws the request and nothing is erased.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.dsar import erasure
from consent.dsar.models import AccessRequest, ErasureReport, RequestChannel, RequestEvent, RequestKind, RequestOrigin
from consent.dsar.requests import due_date
from consent.dsar.services.erasure import member_erase_self_service
from consent.dsar.services.requests import AlreadyErased, S, _event, _move
from consent.processors import may_process
from consent.selectors import consent_memo_clear
from portal.mail import mail_queue
from portal.roles import is_staff_member

logger = logging.getLogger(__name__)

PROCESSOR = "dsar.request_mail"  # the answers to the member's own privacy requests go on while erasure is pending


def _pending(member):
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .filter(member_id=member.pk, origin=RequestOrigin.SELF_SERVICE, kind=RequestKind.ERASURE, state=S.IN_PROGRESS)
        .first()
    )


def account_deletion_request(*, member, now=None) -> AccessRequest:
    """Schedule the erasure of the member's own account; the caller has checked the password.

    Locks the account at once: the erasure request is in progress (processing stops), every session
    ends. A second call while one is pending returns the pending one.
    """
    if member.erased_at:
        raise AlreadyErased(_("This member was already erased."), code="erased")
    if is_staff_member(member):
        raise ValidationError(
            _("Team accounts are closed by an administrator, not in the account settings."), code="staff"
        )
    now = now or timezone.now()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=member.pk).first()
        pending = _pending(member)
        if pending is not None:
            return pending
        request = AccessRequest.objects.create(
            member=member,
            kind=RequestKind.ERASURE,
            channel=RequestChannel.WEB,
            origin=RequestOrigin.SELF_SERVICE,
            received_at=now,
            due_on=due_date(timezone.localdate(now)),
            erase_after=now + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS),
        )
        _event(request, member, "received", to_state=S.RECEIVED)
        _move(request, S.IDENTITY_UNVERIFIED, member)
        _move(request, S.VERIFIED, member, note=_("Signed in and confirmed the password."))
        _move(request, S.IN_PROGRESS, member)
        _event(request, member, "deletion_scheduled", note=request.erase_after.isoformat())
        erasure.sessions_end(user=member)
        _scheduled_mail(request)
    consent_memo_clear(member)
    return request


def account_deletion_cancel(*, member) -> AccessRequest | None:
    """The member signed in during the grace period: the deletion is withdrawn and a mail confirms it."""
    with transaction.atomic():
        request = _pending(member)
        if request is None:
            return None
        _withdraw(request, member)
    consent_memo_clear(member)
    return request


def _withdraw(request: AccessRequest, member) -> None:
    _move(request, S.WITHDRAWN, member, note=_("The member signed in during the grace period."))
    _event(request, member, "deletion_cancelled")
    _cancelled_mail(request)


def account_deletion_run(*, request_id, now=None) -> ErasureReport | None:
    """Erase the account of a self-service deletion whose grace period is over; otherwise change nothing.

    A sign-in after the request that did not cancel it on the spot (any path that bypassed the login
    page) still counts: the deletion is withdrawn instead.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            AccessRequest.objects.select_for_update(of=("self",))
            .select_related("member")
            .filter(pk=request_id, origin=RequestOrigin.SELF_SERVICE, kind=RequestKind.ERASURE)
            .first()
        )
        if request is None or request.state != S.IN_PROGRESS or request.erase_after is None:
            return None
        if request.erase_after > now or request.member.erased_at:
            return None
        member = request.member
        if member.last_login and member.last_login > request.received_at:
            _withdraw(request, member)
            consent_memo_clear(member)
            return None
        # Asked while the account still exists: afterwards nothing names the member any more.
        may_mail = may_process(member, PROCESSOR)
        address, language, handle = member.email, member.preferred_language, member.handle
        report = member_erase_self_service(member=member)
        if may_mail:
            subject, body = _report_mail(report, language=language, handle=handle, requested=request.received_at)
            request_pk = request.pk

            def report_send():
                # Only strings travel here: the address exists nowhere else any more.
                try:
                    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
                except Exception:
                    logger.exception("the erasure report of request %s could not be mailed", request_pk)
                    return
                RequestEvent.objects.create(
                    request_id=request_pk, action="member_notified", note="Erasure report mailed to the member."
                )

            transaction.on_commit(report_send)
    return report


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _scheduled_mail(request: AccessRequest) -> None:
    member = request.member
    with translation.override(member.preferred_language):
        subject = _("Your account will be deleted on %(date)s") % {
            "date": formats.date_format(timezone.localtime(request.erase_after), "DATE_FORMAT")
        }
        body = _(
            "Hello @%(handle)s,\n\nyou asked to delete your account. It is locked now: you were signed out "
            "everywhere and we stopped every processing of your data that you did not ask for.\n\n"
            "On %(when)s we will erase your account and your personal data. Your public posts stay readable "
            'under "deleted member". Right after the erasure we send the erasure report to this address, '
            "which we then no longer keep.\n\n"
            "Changed your mind? Simply sign in before that time and the deletion is cancelled:\n%(url)s"
        ) % {
            "handle": member.handle,
            "when": _when(request.erase_after),
            "url": settings.PORTAL_BASE_URL + reverse("login"),
        }
    mail_queue(user=member, processor=PROCESSOR, subject=subject, body=body)


def _cancelled_mail(request: AccessRequest) -> None:
    member = request.member
    with translation.override(member.preferred_language):
        subject = _("The deletion of your account is cancelled")
        body = _(
            "Hello @%(handle)s,\n\nyou signed in on %(when)s, so your account stays: the deletion you asked for "
            "is cancelled and nothing was erased.\n\nIf it was not you who signed in, change your password now:\n"
            "%(url)s\n\nYou can delete your account again at any time in your account settings."
        ) % {
            "handle": member.handle,
            "when": _when(timezone.now()),
            "url": settings.PORTAL_BASE_URL + reverse("password_reset"),
        }
    mail_queue(user=member, processor=PROCESSOR, subject=subject, body=body)


ACTIONS = {
    "deleted": gettext_lazy("deleted"),
    "anonymised": gettext_lazy("anonymised"),
    "rewritten": gettext_lazy("your name and contact data replaced"),
}


def _model_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except LookupError:
        return label


def _report_mail(report: ErasureReport, *, language: str, handle: str, requested) -> tuple[str, str]:
    """The erasure report as a mail in the member's language: what went, what stays and why."""
    with translation.override(language):
        removed = "\n".join(
            f"- {_model_name(entry['model'])} ({entry['model']}): {entry['rows']}, "
            f"{ACTIONS.get(entry['action'], entry['action'])}"
            for entry in report.removed
        )
        kept = "\n".join(
            f"- {_model_name(entry['model'])} ({entry['model']}): {entry['reason']}" for entry in report.kept
        )
        subject = _("Your account was erased: the erasure report")
        body = _(
            "Hello @%(handle)s,\n\nas you asked on %(requested)s, we erased your account and your personal data "
            "on %(erased)s. This is the erasure report %(report)s.\n\n"
            "Erased or anonymised:\n%(removed)s\n\n"
            "Kept, and why:\n%(kept)s\n\n"
            'Your public posts stay readable under "deleted member"; quotes and mentions of you were rewritten. '
            "The consent ledger keeps the evidence of the consents you gave and withdrew, because we must be able "
            "to prove them (GDPR Art. 7(1)); its key to you is destroyed, so it no longer leads to you.\n\n"
            "We no longer keep this e-mail address: this is the last message you get from us."
        ) % {
            "handle": handle,
            "requested": _when(requested),
            "erased": _when(report.created_at),
            "report": report.pk,
            "removed": removed or "-",
            "kept": kept or "-",
        }
    return str(subject), str(body)

"""Identity verification of a request entered by the DPO: a single-use code mailed to the account address."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consent.dsar.address_mail import address_mail_queue
from consent.dsar.models import AccessRequest, VerificationCode
from consent.dsar.services.requests import S, _event, _move, _require_dpo
from portal.mail import mail_queue

CODE_HOURS = 24
CODE_ATTEMPTS = 5


def _code_hash(request_id, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


def verification_send(*, request: AccessRequest, actor) -> AccessRequest:
    """Mail a single-use code to the account address; the request waits for it in ``identity_unverified``."""
    _require_dpo(actor)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update(of=("self",)).select_related("member").get(pk=request.pk)
        if request.state == S.RECEIVED:
            _move(request, S.IDENTITY_UNVERIFIED, actor)
        elif request.state != S.IDENTITY_UNVERIFIED:
            raise ValidationError(_("The identity of this request is already settled."), code="state")
        VerificationCode.objects.filter(request=request, used_at__isnull=True).update(used_at=timezone.now())
        VerificationCode.objects.create(
            request=request,
            code_hash=_code_hash(request.pk, code),
            expires_at=timezone.now() + timedelta(hours=CODE_HOURS),
        )
        _event(request, actor, "code_sent")
        _code_mail(request, code)
    return request


def _code_mail(request: AccessRequest, code: str) -> None:
    """Mail the code to the address on the account (never to an address from the request), in the member's language.

    A requester who is not a member has no account: the code goes to the address the request is about,
    so only whoever reads that mailbox can confirm it.
    """
    member = request.member
    url = settings.PORTAL_BASE_URL + reverse("consent:dsar:verify", args=[request.pk])
    if member is None:
        with translation.override(request.requester_language or settings.LANGUAGE_CODE):
            subject = _("Confirm your privacy request")
            body = _(
                "We received a privacy request about the data we hold for this e-mail address. If it was you, "
                "enter this code within 24 hours: %(code)s\n\n%(url)s\n\nIf it was not you, ignore this message."
            ) % {"code": code, "url": url}
        address_mail_queue(address=request.requester_email, subject=str(subject), body=str(body))
        return
    with translation.override(member.preferred_language):
        subject = _("Confirm your privacy request")
        body = _(
            "We received a privacy request for your account. If it was you, enter this code within 24 hours: "
            "%(code)s\n\n%(url)s\n\nIf it was not you, ignore this message."
        ) % {"code": code, "url": url}
    mail_queue(user=member, processor="dsar.request_mail", subject=subject, body=body)


class CodeResult:
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    EXPIRED = "expired"


def verification_check(*, request: AccessRequest, code: str, now=None) -> str:
    """Check a code: five wrong tries lock it, it expires after a day, and works once."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(request=request, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or request.state != S.IDENTITY_UNVERIFIED:
            return CodeResult.EXPIRED
        if row.attempts >= CODE_ATTEMPTS:
            return CodeResult.LOCKED
        if row.expires_at <= now:
            return CodeResult.EXPIRED
        if not hmac.compare_digest(row.code_hash, _code_hash(request.pk, (code or "").strip())):
            VerificationCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            if row.attempts + 1 >= CODE_ATTEMPTS:
                _event(request, None, "code_locked")
                return CodeResult.LOCKED
            return CodeResult.WRONG
        row.used_at = now
        row.save(update_fields=["used_at"])
        request = AccessRequest.objects.select_for_update().get(pk=request.pk)
        _move(request, S.VERIFIED, None, note=_("Code from the account's e-mail entered."))
    return CodeResult.OK

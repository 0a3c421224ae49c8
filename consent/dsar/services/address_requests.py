"""Requests of people who are not members: access to and erasure of what the apps hold about an e-mail address.

They follow the same lifecycle as a member's request (received, identity checked with a code mailed
to the address, in progress, completed), with the same deadline, history and second approval of an
erasure; what is exported and erased comes from the apps' address sources (``consent.dsar.address_sources``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.dsar import address_sources
from consent.dsar.models import AccessRequest, ErasureReport, RequestChannel, RequestKind
from consent.dsar.requests import due_date
from consent.dsar.services.erasure import erasure_waits_for_second_approval
from consent.dsar.services.requests import S, _event, _move, _notify, _require_dpo
from consent.services import audit_record

ADDRESS_KINDS = (RequestKind.ACCESS, RequestKind.ERASURE)
KEPT_REQUEST = (
    "The request itself, with the address it was about, its history and this report: proof that it was answered "
    "in time (Art. 5(2), 12); kept like every access request."
)


def address_request_create(
    *,
    address: str,
    kind: str,
    actor,
    channel: str = RequestChannel.EMAIL,
    details: str = "",
    language: str = "",
    received_at=None,
) -> AccessRequest:
    """The DPO records a request by letter or e-mail from someone who is not a member, about ``address``."""
    _require_dpo(actor)
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(_("Enter the e-mail address the request is about."), code="address") from None
    if kind not in ADDRESS_KINDS:
        raise ValidationError(
            _("For someone who is not a member, only access and erasure requests can be recorded."), code="kind"
        )
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    received = timezone.now() if received_at is None else min(received_at, timezone.now())
    with transaction.atomic():
        request = AccessRequest.objects.create(
            member=None,
            requester_email=address,
            requester_language=language,
            kind=kind,
            channel=channel if channel in RequestChannel.values else RequestChannel.EMAIL,
            details=(details or "").strip()[:5000],
            received_at=received,
            due_on=due_date(timezone.localdate(received)),
        )
        _event(request, actor, "received", to_state=S.RECEIVED)
    return request


def _address_request(request: AccessRequest, *, kinds) -> AccessRequest:
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.member_id is not None or request.kind not in kinds or request.state != S.IN_PROGRESS:
        raise ValidationError(_("Start working on the request first."), code="state")
    return request


def address_export(*, request: AccessRequest, actor) -> dict:
    """Everything the apps hold about the request's address, as the JSON the requester receives (Art. 15)."""
    _require_dpo(actor)
    with transaction.atomic():
        request = _address_request(request, kinds=(RequestKind.ACCESS, RequestKind.PORTABILITY))
        found = address_sources.export(request.requester_email)
        rows = sum(len(records) for records in found.values())
        _event(request, actor, "export", note=_("%(rows)s records about the address") % {"rows": rows})
        audit_record(actor=actor, subject=None, action="export", target=f"request {request.pk}")
    return {
        "schema": "portal.address-export/1",
        "request": str(request.pk),
        "address": request.requester_email,
        "generated_at": timezone.now().isoformat(),
        "sources": found,
    }


def address_erase(*, request: AccessRequest, actor, confirmation: str) -> ErasureReport | None:
    """Erase what the apps hold about the request's address, attach the report and complete the request.

    ``confirmation`` is the address typed by the DPO. With ``DSAR_ERASURE_SECOND_APPROVAL`` the first
    DPO records an approval (None is returned) and a second, different DPO runs it. Recipients of
    copies (a CRM) are asked to redact theirs, and the report lists their answers (Art. 19).
    """
    _require_dpo(actor)
    with transaction.atomic():
        request = _address_request(request, kinds=(RequestKind.ERASURE,))
        if (confirmation or "").strip().lower() != request.requester_email.strip().lower():
            raise ValidationError(
                _("The address does not match the request's address. Nothing was erased."), code="confirmation"
            )
        if erasure_waits_for_second_approval(request, actor, subject=None, target=f"request {request.pk}"):
            return None
        report_id = uuid.uuid4()
        removed = address_sources.erase(address=request.requester_email, report_id=report_id)
        report = ErasureReport.objects.create(
            id=report_id,
            member=None,
            request=request,
            actor=actor,
            removed=removed,
            kept=[{"model": "dsar.AccessRequest", "reason": KEPT_REQUEST}],
        )
        audit_record(actor=actor, subject=None, action="erase", target=f"request {request.pk}")
        result = _("Erased; report %(id)s.") % {"id": report.pk}
        request.result = result
        request.save(update_fields=["result"])
        _event(request, actor, "erased", note=str(report.pk))
        _move(request, S.COMPLETED, actor, note=result)
        _notify(request, "dsar.completed", note=result)
    return report

"""Restriction of processing (Art. 18) and objection to direct marketing (Art. 21) on a member's request."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consent.dsar.events import processing_restricted
from consent.dsar.models import AccessRequest, RequestKind
from consent.dsar.restrictions import restriction_place
from consent.dsar.services.requests import S, _event, _require_dpo
from consent.models import MemberConsent
from consent.selectors import DIRECT_MARKETING_PURPOSES
from consent.services import consent_withdraw


def request_restrict(*, request: AccessRequest, actor) -> int:
    """Restriction or objection: consent-based processing stops now and stays stopped until the DPO lifts it.

    The member's live consents concerned are withdrawn (so the CRM redacts what it holds), and a lasting
    ``ProcessingRestriction`` makes ``has_consent`` answer False and refuses new grants meanwhile.
    Returns how many consents were withdrawn.
    """
    _require_dpo(actor)
    request = AccessRequest.objects.select_related("member").get(pk=request.pk)
    if request.kind not in (RequestKind.RESTRICTION, RequestKind.OBJECTION) or request.state != S.IN_PROGRESS:
        raise ValidationError(_("Only a restriction or objection in progress can stop processing."), code="state")
    member = request.member
    with transaction.atomic():
        codes = list(
            MemberConsent.objects.filter(user=member, state__in=("granted", "pending")).values_list(
                "purpose__code", flat=True
            )
        )
        if request.kind == RequestKind.OBJECTION:
            codes = [code for code in codes if code in DIRECT_MARKETING_PURPOSES]
        for code in codes:
            consent_withdraw(user=member, purpose=code, channel="staff")
        restriction_place(member=member, kind=request.kind, actor=actor, request=request)
        request.result = _("Processing stopped until lifted; consents withdrawn: %(purposes)s") % {
            "purposes": ", ".join(codes) or "—"
        }
        request.save(update_fields=["result"])
        _event(request, actor, "restricted", note=", ".join(codes))
        processing_restricted.send_on_commit(user_id=member.pk, kind=request.kind)
    return len(codes)

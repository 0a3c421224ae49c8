"""Writes of processing restrictions (Art. 18) and objections to direct marketing (Art. 21).

A restriction is a lasting flag, not a one-off withdrawal: while it stands, ``consent.selectors.has_consent``
answers False (every purpose for a restriction, ``newsletter`` and ``crm_followup`` for an objection), the
member cannot give those consents again, and only the DPO lifts it, with a written reason. Completing
the request that placed it does not lift it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.dsar.models import AccessRequest, ProcessingRestriction, RequestEvent, RestrictionKind
from consent.dsar.permissions import can_manage_requests
from consent.selectors import consent_memo_clear
from consent.services import audit_record
from portal.notifications import notification_send


def _require_dpo(actor) -> None:
    if not can_manage_requests(actor):
        raise PermissionDenied("only the data protection officer restricts or lifts processing")


def restriction_place(*, member, kind: str, actor, request: AccessRequest | None = None) -> ProcessingRestriction:
    """Stop processing of ``member`` until lifted; a second one of the same kind returns the standing one."""
    _require_dpo(actor)
    if kind not in RestrictionKind.values:
        raise ValidationError(_("Unknown kind of restriction."), code="kind")
    with transaction.atomic():
        type(member).objects.select_for_update().filter(pk=member.pk).first()
        standing = ProcessingRestriction.objects.filter(member=member, kind=kind, lifted_at__isnull=True).first()
        if standing is not None:
            return standing
        restriction = ProcessingRestriction.objects.create(member=member, kind=kind, request=request, placed_by=actor)
        audit_record(actor=actor, subject=member, action="restrict", reason=restriction.get_kind_display())
    consent_memo_clear(member)
    return restriction


def restriction_lift(*, restriction: ProcessingRestriction, actor, reason: str) -> ProcessingRestriction:
    """DPO only: processing may resume (consents the member gives again count); the reason is kept and shown."""
    _require_dpo(actor)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(_("Write down why the restriction ends (at least 10 characters)."), code="reason")
    with transaction.atomic():
        restriction = (
            ProcessingRestriction.objects.select_for_update(of=("self",))
            .select_related("member")
            .get(pk=restriction.pk)
        )
        if restriction.lifted_at is not None:
            raise ValidationError(_("This restriction was already lifted."), code="lifted")
        restriction.lifted_at = timezone.now()
        restriction.lifted_by = actor
        restriction.lift_reason = reason[:2000]
        restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        member = restriction.member
        audit_record(actor=actor, subject=member, action="restriction_lift", reason=reason)
        if restriction.request_id:
            RequestEvent.objects.create(
                request_id=restriction.request_id, actor=actor, action="restriction_lifted", note=reason
            )
        notification_send(
            recipient=member,
            kind="privacy_request",
            message="dsar.restriction_lifted",
            params={"reason": reason},
            url=reverse("consent:centre") + "#purposes",
        )
    consent_memo_clear(member)
    return restriction


def restrictions_standing(*, member) -> list[ProcessingRestriction]:
    """The member's restrictions in force now (for the privacy centre and the console)."""
    if member is None or not getattr(member, "pk", None):
        return []
    return list(ProcessingRestriction.objects.filter(member_id=member.pk, lifted_at__isnull=True).order_by("since"))

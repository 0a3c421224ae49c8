"""Rectification (Art. 16): the DPO corrects the member's account data on request."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consent.dsar.events import member_rectified
from consent.dsar.models import AccessRequest, RequestKind
from consent.dsar.services.requests import S, _event, _require_dpo
from consent.services import audit_record
from portal.encrypted_fields import index_fields


def request_rectify(*, request: AccessRequest, actor, first_name: str, last_name: str, email: str) -> list[str]:
    """Correct the member's account data and tell the CRM which fields changed."""
    _require_dpo(actor)
    request = AccessRequest.objects.select_related("member").get(pk=request.pk)
    if request.kind != RequestKind.RECTIFICATION or request.state != S.IN_PROGRESS:
        raise ValidationError(_("Only a rectification in progress can change data."), code="state")
    member = type(request.member).objects.get(pk=request.member_id)
    email = (email or "").strip().lower()
    if type(member).objects.with_email(email).exclude(pk=member.pk).exists():
        raise ValidationError(_("Another account uses this e-mail address."), code="email")
    changed = []
    for name, value in (("first_name", first_name.strip()), ("last_name", last_name.strip()), ("email", email)):
        if value != getattr(member, name):
            setattr(member, name, value)
            changed.append(name)
    with transaction.atomic():
        if changed:
            member.save(update_fields=index_fields(type(member), *changed))
        _event(request, actor, "rectified", note=", ".join(changed))
        audit_record(actor=actor, subject=member, action="rectify", target=", ".join(changed))
        member_rectified.send_on_commit(user_id=member.pk, fields=changed)
    return changed

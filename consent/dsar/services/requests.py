"""The lifecycle of an access request: receipt, transitions, assignment, notes and the one extension.

Every step is a ``RequestEvent`` the DPO and the member see; the other service modules of the
package log through ``_event`` and ``_move`` here.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.dsar.address_mail import address_notice
from consent.dsar.models import AccessRequest, RequestChannel, RequestEvent, RequestKind, RequestOrigin, RequestState
from consent.dsar.permissions import can_manage_requests
from consent.dsar.requests import check_transition, due_date, extended_due_date
from portal.notifications import notification_send

S = RequestState


class AlreadyErased(ValidationError):
    """The member was erased before; nothing is done twice."""


def _require_dpo(actor) -> None:
    if not can_manage_requests(actor):
        raise PermissionDenied("only the data protection officer works access requests")


def _event(request: AccessRequest, actor, action: str, *, from_state="", to_state="", note="") -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
    )


def _move(request: AccessRequest, to: str, actor, note: str = "") -> AccessRequest:
    check_transition(request.state, to)
    before = request.state
    request.state = to
    fields = ["state"]
    if to in (S.COMPLETED, S.REJECTED, S.WITHDRAWN):
        request.closed_at = timezone.now()
        fields.append("closed_at")
    request.save(update_fields=fields)
    _event(request, actor, "transition", from_state=before, to_state=to, note=note)
    return request


def _notify(request: AccessRequest, message: str, **params) -> None:
    if request.member_id is None:  # not a member: the notice goes to the request's address
        address_notice(request=request, message=message, params=params)
        return
    notification_send(
        recipient=request.member,
        kind="privacy_request",
        message=message,
        params=params,
        url=reverse("consent:dsar:mine") + f"#request-{request.pk}",
    )


def request_create(
    *, member, kind: str, actor, channel: str = RequestChannel.WEB, details: str = "", received_at=None
) -> AccessRequest:
    """Record a request; a member in the privacy centre has just re-authenticated, so it is verified at once.

    A letter or e-mail entered by the DPO counts from the day it arrived (``received_at``), not from its entry.
    """
    if kind not in RequestKind.values:
        raise ValidationError(_("Choose the kind of request."), code="kind")
    if member.erased_at:
        raise AlreadyErased(_("This member was already erased."), code="erased")
    self_service = actor.pk == member.pk
    if not self_service:
        _require_dpo(actor)
    received = timezone.now()
    if received_at is not None and not self_service:
        received = min(received_at, received)
    with transaction.atomic():
        request = AccessRequest.objects.create(
            member=member,
            kind=kind,
            channel=RequestChannel.WEB if self_service else channel,
            details=details.strip()[:5000],
            received_at=received,
            due_on=due_date(timezone.localdate(received)),
        )
        _event(request, actor, "received", to_state=S.RECEIVED)
        if self_service:
            _move(request, S.IDENTITY_UNVERIFIED, actor)
            _move(request, S.VERIFIED, actor, note=_("Signed in and confirmed the password."))
            _notify(request, "dsar.received", date=request.due_on.isoformat())
    return request


def request_transition(*, request: AccessRequest, to: str, actor, note: str = "") -> AccessRequest:
    """DPO moves a request along its lifecycle; any edge outside it raises ``InvalidTransition``."""
    _require_dpo(actor)
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if request.origin == RequestOrigin.SELF_SERVICE and to == S.COMPLETED:
            raise ValidationError(
                _("A self-service account deletion is completed by its erasure."), code="self_service"
            )
        _move(request, to, actor, note)
        if to in (S.COMPLETED, S.REJECTED):
            _notify(request, "dsar.completed" if to == S.COMPLETED else "dsar.rejected", note=note)
    return request


def request_withdraw(*, request: AccessRequest, member) -> AccessRequest:
    """The member takes their own request back."""
    if request.member_id != member.pk:
        raise PermissionDenied("not your request")
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update().get(pk=request.pk)
        return _move(request, S.WITHDRAWN, member)


def request_assign(*, request: AccessRequest, actor, assignee) -> AccessRequest:
    _require_dpo(actor)
    if assignee is not None and not can_manage_requests(assignee):
        raise ValidationError(_("Only a data protection officer can be assigned."), code="assignee")
    with transaction.atomic():
        request.assignee = assignee
        request.save(update_fields=["assignee"])
        _event(request, actor, "assigned", note=assignee.handle if assignee else "")
    return request


def request_note(*, request: AccessRequest, actor, note: str) -> RequestEvent:
    _require_dpo(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Write a note."), code="note")
    return _event(request, actor, "note", note=note[:5000])


def request_extend(*, request: AccessRequest, actor, months: int, reason: str, now=None) -> AccessRequest:
    """One extension of one or two months, with a reason, noticed to the member before the original due date."""
    _require_dpo(actor)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(_("Give the reason for the extension (at least 10 characters)."), code="reason")
    if months not in (1, 2):
        raise ValidationError(_("An extension is one or two months."), code="months")
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update(of=("self",)).select_related("member").get(pk=request.pk)
        if not request.is_open:
            raise ValidationError(_("This request is closed."), code="closed")
        if request.extended_due_on:
            raise ValidationError(_("This request was already extended once."), code="twice")
        if timezone.localdate(now) > request.due_on:
            raise ValidationError(_("The original due date has passed; it can no longer be extended."), code="late")
        request.extended_due_on = extended_due_date(timezone.localdate(request.received_at), months)
        request.extension_reason = reason
        request.extension_notice_at = now
        request.save(update_fields=["extended_due_on", "extension_reason", "extension_notice_at"])
        _event(request, actor, "extended", note=reason)
        _notify(request, "dsar.extended", date=request.extended_due_on.isoformat(), reason=reason)
        _event(request, actor, "member_notified", note=_("Extension notice sent to the member."))
    return request

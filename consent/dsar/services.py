"""Writes of access requests, exports and erasure; every DPO action lands in the audit log."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consent.dsar import erasure
from consent.dsar.events import member_erased, member_rectified, processing_restricted
from consent.dsar.export import ExportWriter, exports_dir
from consent.dsar.models import (
    AccessRequest,
    DataExport,
    ErasureReport,
    ExportStatus,
    RequestChannel,
    RequestEvent,
    RequestKind,
    RequestState,
    VerificationCode,
)
from consent.dsar.permissions import can_manage_requests
from consent.dsar.requests import check_transition, due_date, extended_due_date
from consent.models import MemberConsent
from consent.services import audit_record, consent_withdraw
from portal.notifications import notification_send

EXPORT_DAYS = 7
CODE_HOURS = 24
CODE_ATTEMPTS = 5
S = RequestState


class AlreadyErased(ValidationError):
    """The member was erased before; nothing is done twice."""


def _require_dpo(actor) -> None:
    if not can_manage_requests(actor):
        raise PermissionDenied("only the data protection officer works access requests")


# --- Export --------------------------------------------------------------------------------------------


def export_request(*, user, actor=None) -> DataExport:
    """Queue a MyData export of ``user`` (by the member after re-authentication, or by the DPO)."""
    actor = actor or user
    if user.erased_at:
        raise AlreadyErased(_("This member has been erased; there is nothing left to export."), code="erased")
    if actor.pk != user.pk:
        _require_dpo(actor)
    from consent.dsar.tasks import build_export

    with transaction.atomic():
        export = DataExport.objects.create(user=user, requested_by=actor)
        transaction.on_commit(lambda: build_export.enqueue(export_id=str(export.pk)))
    return export


def export_build(*, export_id) -> DataExport:
    """Write the ZIP to disk (streaming), then tell the member where to fetch it."""
    export = DataExport.objects.select_related("user", "requested_by").get(pk=export_id)
    if export.status != ExportStatus.PENDING:
        return export
    final = exports_dir() / f"{export.pk}.zip"
    partial = final.with_suffix(".part")
    try:
        rows = ExportWriter(export.user, partial).write()
    except Exception:
        partial.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED)
        raise
    digest = hashlib.sha256()
    with partial.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    os.replace(partial, final)
    now = timezone.now()
    with transaction.atomic():
        export.status = ExportStatus.READY
        export.file_name = final.name
        export.size = final.stat().st_size
        export.sha256 = digest.hexdigest()
        export.rows = rows
        export.ready_at = now
        export.expires_at = now + timedelta(days=EXPORT_DAYS)
        export.save()
        requester = export.requested_by
        if requester is not None and requester.pk != export.user_id:
            audit_record(actor=requester, subject=export.user, action="export", target=f"export {export.pk}")
        with translation.override(export.user.preferred_language):
            notification_send(
                recipient=export.user,
                kind="privacy_export",
                title=_("Your data export is ready"),
                url=reverse("consent:dsar:export_download", args=[export.pk]),
                body=_("Your data export is ready. The link works for 7 days, only when you are signed in."),
            )
    return export


def export_path(export: DataExport):
    return exports_dir() / export.file_name


def export_download_record(*, export: DataExport, actor) -> None:
    """Count and log a download: the member sees staff downloads in the privacy centre."""
    DataExport.objects.filter(pk=export.pk).update(downloads=F("downloads") + 1)
    audit_record(
        actor=actor,
        subject=export.user,
        action="export_download" if actor.pk == export.user_id else "export",
        target=f"export {export.pk}",
    )


def exports_purge_expired(*, now=None) -> int:
    """Delete the files of exports older than their expiry (the retention run calls this)."""
    now = now or timezone.now()
    purged = 0
    for export in DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now):
        if export.file_name:
            (exports_dir() / export.file_name).unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED, file_name="")
        purged += 1
    return purged


# --- Erasure -------------------------------------------------------------------------------------------


def member_erase(*, member, actor) -> ErasureReport:
    """Erase the member per registry rule; refuses a second erasure and changes nothing then."""
    if actor.pk != member.pk:
        _require_dpo(actor)
    return _erase(member=member, actor=actor if actor.pk != member.pk else None)


def member_erase_by_retention(*, member, reason: str) -> ErasureReport:
    """The retention run erases an account (no one acts in person); ``reason`` lands in the audit log."""
    return _erase(member=member, actor=None, reason=reason)


def _erase(*, member, actor, reason: str = "") -> ErasureReport:
    with transaction.atomic():
        member = type(member).objects.select_for_update().get(pk=member.pk)
        if member.erased_at:
            raise AlreadyErased(_("This member was already erased."), code="erased")
        identifiers = erasure.identifiers_of(member)
        files = [e.file_name for e in DataExport.objects.filter(user=member) if e.file_name]
        outcome = erasure.apply_rules(user=member)
        outcome.removed += erasure.rewrite_mentions(identifiers=identifiers)
        ended = erasure.sessions_end(user=member)
        if ended:
            outcome.removed.append({"model": "sessions.Session", "rows": ended, "action": "deleted"})
        erasure.account_anonymise(user=member)
        outcome.removed.append({"model": "portal.User", "rows": 1, "action": "anonymised"})
        report = ErasureReport.objects.create(member=member, actor=actor, removed=outcome.removed, kept=outcome.kept)
        audit_record(actor=actor, subject=member, action="erase", reason=reason)
        user_id, report_id = member.pk, report.pk

        def after_commit():
            for name in files:
                (exports_dir() / name).unlink(missing_ok=True)
            member_erased.send(sender=ErasureReport, user_id=user_id, report_id=report_id)

        transaction.on_commit(after_commit)
    return report


# --- Access requests -------------------------------------------------------------------------------------


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


def _notify(request: AccessRequest, title: str, body: str = "") -> None:
    notification_send(
        recipient=request.member,
        kind="privacy_request",
        title=title,
        url=reverse("consent:dsar:mine") + f"#request-{request.pk}",
        body=body,
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
            with translation.override(member.preferred_language):
                _notify(
                    request,
                    _("We received your request"),
                    _("We will answer by %(date)s at the latest.") % {"date": request.due_on.isoformat()},
                )
    return request


def request_transition(*, request: AccessRequest, to: str, actor, note: str = "") -> AccessRequest:
    """DPO moves a request along its lifecycle; any edge outside it raises ``InvalidTransition``."""
    _require_dpo(actor)
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update().get(pk=request.pk)
        _move(request, to, actor, note)
        if to in (S.COMPLETED, S.REJECTED):
            with translation.override(request.member.preferred_language):
                title = _("Your request was completed") if to == S.COMPLETED else _("Your request was rejected")
                _notify(request, title, note)
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
        with translation.override(request.member.preferred_language):
            _notify(
                request,
                _("We need more time for your request"),
                _("New due date: %(date)s. Reason: %(reason)s")
                % {"date": request.extended_due_on.isoformat(), "reason": reason},
            )
        _event(request, actor, "member_notified", note=_("Extension notice sent to the member."))
    return request


def _code_hash(request_id, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


def verification_send(*, request: AccessRequest, actor) -> AccessRequest:
    """Mail a single-use code to the account address; the request waits for it in ``identity_unverified``."""
    _require_dpo(actor)
    from consent.dsar.tasks import send_verification_code

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
        request_id, member_id = str(request.pk), request.member_id
        transaction.on_commit(
            lambda: send_verification_code.enqueue(request_id=request_id, user_id=member_id, code=code)
        )
    return request


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


def request_run_export(*, request: AccessRequest, actor) -> DataExport:
    """Build the member's export for an access or portability request and attach it."""
    _require_dpo(actor)
    request = AccessRequest.objects.select_related("member").get(pk=request.pk)
    if request.state != S.IN_PROGRESS:
        raise ValidationError(_("Start working on the request first."), code="state")
    with transaction.atomic():
        export = export_request(user=request.member, actor=actor)
        AccessRequest.objects.filter(pk=request.pk).update(export=export)
        request.export = export
        _event(request, actor, "export", note=str(export.pk))
    return export


def request_run_erasure(*, request: AccessRequest, actor) -> ErasureReport:
    """Erase the member on their erasure request and attach the report as the result."""
    _require_dpo(actor)
    request = AccessRequest.objects.select_related("member").get(pk=request.pk)
    if request.kind != RequestKind.ERASURE or request.state != S.IN_PROGRESS:
        raise ValidationError(_("Only an erasure request in progress can erase."), code="state")
    with transaction.atomic():
        report = member_erase(member=request.member, actor=actor)
        request.result = _("Erased; report %(id)s.") % {"id": report.pk}
        request.save(update_fields=["result"])
        _event(request, actor, "erased", note=str(report.pk))
    return report


def request_restrict(*, request: AccessRequest, actor) -> int:
    """Restriction or objection: consent-based processing stops now and stays stopped until the DPO lifts it.

    The member's live consents concerned are withdrawn (so the CRM redacts what it holds), and a lasting
    ``ProcessingRestriction`` makes ``has_consent`` answer False and refuses new grants meanwhile.
    Returns how many consents were withdrawn.
    """
    from consent.dsar.restrictions import restriction_place
    from consent.services import DIRECT_MARKETING_PURPOSES

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
        user_id, kind = member.pk, request.kind
        transaction.on_commit(lambda: processing_restricted.send(sender=AccessRequest, user_id=user_id, kind=kind))
    return len(codes)


def request_rectify(*, request: AccessRequest, actor, first_name: str, last_name: str, email: str) -> list[str]:
    """Correct the member's account data and tell the CRM which fields changed."""
    _require_dpo(actor)
    request = AccessRequest.objects.select_related("member").get(pk=request.pk)
    if request.kind != RequestKind.RECTIFICATION or request.state != S.IN_PROGRESS:
        raise ValidationError(_("Only a rectification in progress can change data."), code="state")
    member = type(request.member).objects.get(pk=request.member_id)
    email = (email or "").strip().lower()
    if type(member).objects.filter(email=email).exclude(pk=member.pk).exists():
        raise ValidationError(_("Another account uses this e-mail address."), code="email")
    changed = []
    for name, value in (("first_name", first_name.strip()), ("last_name", last_name.strip()), ("email", email)):
        if value != getattr(member, name):
            setattr(member, name, value)
            changed.append(name)
    with transaction.atomic():
        if changed:
            member.save(update_fields=changed)
        _event(request, actor, "rectified", note=", ".join(changed))
        audit_record(actor=actor, subject=member, action="rectify", target=", ".join(changed))
        user_id = member.pk
        transaction.on_commit(lambda: member_rectified.send(sender=AccessRequest, user_id=user_id, fields=changed))
    return changed

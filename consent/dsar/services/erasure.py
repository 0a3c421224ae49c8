"""Erasure of a member per registry rule, on request, by the member, or by the retention run."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consent.dsar import erasure
from consent.dsar.events import member_erased
from consent.dsar.export import exports_dir
from consent.dsar.models import AccessRequest, DataExport, ErasureReport, RequestKind
from consent.dsar.services.requests import AlreadyErased, S, _event, _require_dpo
from consent.services import audit_record


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

        def export_files_delete():
            for name in files:
                (exports_dir() / name).unlink(missing_ok=True)

        transaction.on_commit(export_files_delete)
        member_erased.send_on_commit(user_id=member.pk, report_id=report.pk)
    return report


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

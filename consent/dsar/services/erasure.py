"""Erasure of a member per registry rule, on request, by the member, or by the retention run."""

from __future__ import annotations

import uuid
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consent import erasure_journal
from consent.dsar import address_sources, erasure
from consent.dsar.events import member_erased
from consent.dsar.export import exports_dir
from consent.dsar.models import AccessRequest, DataExport, ErasureReport, RequestEvent, RequestKind
from consent.dsar.services.requests import AlreadyErased, S, _event, _move, _require_dpo
from consent.services import audit_record
from portal.fragments import fragments_purge
from portal.login_throttle import account_unlock
from portal.roles import Role

ERASURE_APPROVED = "erasure_approved"


def member_erase(*, member, actor) -> ErasureReport:
    """Erase the member per registry rule; refuses a second erasure and changes nothing then."""
    if actor.pk != member.pk:
        _require_dpo(actor)
    return _erase(member=member, actor=actor if actor.pk != member.pk else None)


def member_erase_by_retention(*, member, reason: str) -> ErasureReport:
    """The retention run erases an account (no one acts in person); ``reason`` lands in the audit log."""
    return _erase(member=member, actor=None, reason=reason)


def member_erase_self_service(*, member) -> ErasureReport:
    """The member deleted their own account and the grace period is over (no one acts in person then)."""
    return _erase(member=member, actor=None, reason="self-service account deletion after the grace period")


def member_erase_replayed(*, member) -> ErasureReport:
    """Erase again an account the erasure journal names (after a backup restore brought it back)."""
    return _erase(member=member, actor=None, reason="replayed from the erasure journal after a restore", journal=False)


def _erase(*, member, actor, reason: str = "", journal: bool = True) -> ErasureReport:
    with transaction.atomic():
        member = type(member).objects.select_for_update().get(pk=member.pk)
        if member.erased_at:
            raise AlreadyErased(_("This member was already erased."), code="erased")
        identifiers = erasure.identifiers_of(member)
        files = [e.file_name for e in DataExport.objects.filter(user=member) if e.file_name]
        report_id = uuid.uuid4()
        rewritten = erasure.rewrite_mentions(identifiers=identifiers, user=member)
        outcome = erasure.apply_rules(user=member, report_id=report_id)
        outcome.removed += rewritten
        # Mails the member sent from outside the portal (e.g. to the intake's mailbox) are found by address.
        outcome.removed += address_sources.erase(address=member.email, report_id=report_id)
        unlocked = account_unlock(email=member.email)  # failed-login records name the member by address
        if unlocked:
            outcome.removed.append({"model": "axes.AccessAttempt", "rows": unlocked, "action": "deleted"})
        ended = erasure.sessions_end(user=member)
        if ended:
            outcome.removed.append({"model": "sessions.Session", "rows": ended, "action": "deleted"})
        erasure.account_anonymise(user=member)
        outcome.removed.append({"model": "portal.User", "rows": 1, "action": "anonymised"})
        report = ErasureReport.objects.create(
            id=report_id, member=member, actor=actor, removed=outcome.removed, kept=outcome.kept
        )
        audit_record(actor=actor, subject=member, action="erase", reason=reason)
        _erasure_requests_complete(member=member, actor=actor, report=report)

        def copies_delete():
            for name in files:
                (exports_dir() / name).unlink(missing_ok=True)
            fragments_purge()  # cached HTML of rewritten rows still holds the old text

        transaction.on_commit(copies_delete)
        if journal:  # outside the database, so restoring an older backup cannot undo the erasure
            transaction.on_commit(
                partial(
                    erasure_journal.journal_append, user_id=member.pk, report_id=report.pk, erased_at=member.erased_at
                )
            )
        member_erased.send_on_commit(user_id=member.pk, report_id=report.pk)
    return report


def request_run_erasure(*, request: AccessRequest, actor, confirmation: str) -> ErasureReport | None:
    """Erase the member on their erasure request, attach the report and complete the request.

    ``confirmation`` is the member's handle typed by the DPO, so no one erases the wrong member by a slip.
    With ``DSAR_ERASURE_SECOND_APPROVAL`` the first DPO's confirmation records an approval and returns None;
    the erasure runs when a second, different DPO confirms.
    """
    _require_dpo(actor)
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update(of=("self",)).select_related("member").get(pk=request.pk)
        if request.kind != RequestKind.ERASURE or request.state != S.IN_PROGRESS or request.member.erased_at:
            raise ValidationError(_("Only an erasure request in progress can erase."), code="state")
        if (confirmation or "").strip().lstrip("@") != request.member.handle:
            raise ValidationError(
                _("The handle does not match the member's handle. Nothing was erased."), code="confirmation"
            )
        if erasure_waits_for_second_approval(request, actor, subject=request.member):
            return None
        return member_erase(member=request.member, actor=actor)  # completes this request too


def _erasure_requests_complete(*, member, actor, report: ErasureReport) -> None:
    """Any erasure answers the member's erasure requests in work (also one run by retention): completed, with the report.

    Requests whose identity check is still open stay for the DPO, who decides about them.
    """
    result = _("Erased; report %(id)s.") % {"id": report.pk}
    in_work = AccessRequest.objects.select_for_update(of=("self",)).filter(
        member=member, kind=RequestKind.ERASURE, state__in=[S.VERIFIED, S.IN_PROGRESS]
    )
    for request in in_work.order_by("pk"):
        request.result = result
        request.save(update_fields=["result"])
        _event(request, actor, "erased", note=str(report.pk))
        if request.state == S.VERIFIED:
            _move(request, S.IN_PROGRESS, actor)
        _move(request, S.COMPLETED, actor, note=result)


def erasure_approvers(*, request: AccessRequest) -> list[int]:
    """Ids of the DPOs who approved the erasure of this request and still hold the role (one who lost it no longer counts)."""
    return list(
        RequestEvent.objects.filter(request=request, action=ERASURE_APPROVED, actor__groups__name=Role.DPO)
        .order_by()
        .values_list("actor_id", flat=True)
        .distinct()
    )


def erasure_waits_for_second_approval(request: AccessRequest, actor, *, subject, target: str = "") -> bool:
    """With ``DSAR_ERASURE_SECOND_APPROVAL``: the first DPO's call records an approval (True: nothing erased yet).

    The same DPO cannot approve twice; a second, different DPO's call goes on to erase (False).
    """
    if not settings.DSAR_ERASURE_SECOND_APPROVAL:
        return False
    approvers = set(erasure_approvers(request=request))
    if actor.pk in approvers:
        raise ValidationError(
            _("You have already approved this erasure; a second data protection officer must approve it."),
            code="same_approver",
        )
    if approvers:
        return False
    _event(request, actor, ERASURE_APPROVED)
    audit_record(actor=actor, subject=subject, action="erase_approve", target=target)
    return True

"""Who may do what with access requests and exports."""

from __future__ import annotations

from django.http import Http404

from consent.dsar.models import AccessRequest, DataExport, ProcessingRestriction
from consent.permissions import MANAGE_REQUESTS, is_dpo


def can_manage_requests(user) -> bool:
    """The DPO console, erasure and lifting restrictions: the DPO role alone, never a bare superuser."""
    return is_dpo(user, MANAGE_REQUESTS)


def can_manage_retention(user) -> bool:
    """Retention periods and runs: the DPO and administrators (the periods are part of the portal's set-up)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("dsar.change_retentionpolicy"))


def can_download_export(user, export: DataExport) -> bool:
    """Only the member the export is about, or the DPO, may fetch it."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return export.user_id == user.pk or can_manage_requests(user)


def access_export(user, export_id) -> DataExport:
    """The export, or 404 for anyone else (no hint that it exists)."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or not can_download_export(user, export):
        raise Http404
    return export


def access_own_request(user, request_id) -> AccessRequest:
    """A member's own request, or 404."""
    found = AccessRequest.objects.filter(pk=request_id, member_id=getattr(user, "pk", None)).first()
    if found is None:
        raise Http404
    return found


def access_restriction(member, restriction_id) -> ProcessingRestriction:
    """A restriction of this member, or 404 (an id of another member's restriction is not found here)."""
    found = ProcessingRestriction.objects.filter(pk=restriction_id, member_id=member.pk).first()
    if found is None:
        raise Http404
    return found

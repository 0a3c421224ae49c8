"""MyData exports: queued, built off the request path as a ZIP, downloaded, purged after expiry."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.dsar.export import ExportWriter, exports_dir
from consent.dsar.models import AccessRequest, DataExport, ExportStatus
from consent.dsar.services.requests import AlreadyErased, S, _event, _require_dpo
from consent.dsar.tasks import build_export
from consent.services import audit_record, staff_view_record
from portal.events import enqueue_on_commit
from portal.notifications import notification_send

EXPORT_DAYS = 7


def export_request(*, user, actor=None) -> DataExport:
    """Queue a MyData export of ``user`` (by the member after re-authentication, or by the DPO)."""
    actor = actor or user
    if user.erased_at:
        raise AlreadyErased(_("This member has been erased; there is nothing left to export."), code="erased")
    if actor.pk != user.pk:
        _require_dpo(actor)
    with transaction.atomic():
        export = DataExport.objects.create(user=user, requested_by=actor)
        enqueue_on_commit(build_export, export_id=str(export.pk))
    return export


def export_build(*, export_id) -> DataExport:
    """Write the ZIP to disk (streaming), then tell the member where to fetch it.

    Safe to run again after a worker died: each run writes its own partial file, and only the run
    that finds the export still pending under the row lock moves its file in place and notifies.
    """
    export = DataExport.objects.select_related("user", "requested_by").get(pk=export_id)
    if export.status != ExportStatus.PENDING:
        return export
    final = exports_dir() / f"{export.pk}.zip"
    partial = final.with_name(f"{export.pk}.{uuid.uuid4().hex}.part")
    try:
        rows = ExportWriter(export.user, partial).write()
    except Exception:
        partial.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk, status=ExportStatus.PENDING).update(status=ExportStatus.FAILED)
        raise
    digest = hashlib.sha256()
    with partial.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    now = timezone.now()
    with transaction.atomic():
        locked = DataExport.objects.select_for_update().filter(pk=export.pk).values_list("status", flat=True).first()
        if locked != ExportStatus.PENDING:  # another run finished or failed it meanwhile
            partial.unlink(missing_ok=True)
            export.refresh_from_db()
            return export
        os.replace(partial, final)
        _remove_stale_parts(export.pk)
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
        notification_send(
            recipient=export.user,
            kind="privacy_export",
            message="dsar.export_ready",
            url=reverse("consent:dsar:export_download", args=[export.pk]),
        )
    return export


def _remove_stale_parts(export_id) -> None:
    """Delete partial files of runs whose worker died (untouched for a task lease); a live run's file stays."""
    stale_before = time.time() - settings.TASK_LEASE_SECONDS
    for leftover in exports_dir().glob(f"{export_id}.*.part"):
        try:
            if leftover.stat().st_mtime < stale_before:
                leftover.unlink()
        except FileNotFoundError:
            pass


def export_fail(*, export_id) -> bool:
    """Mark a pending export failed (its workers kept dying), so the member sees it and can ask again."""
    failed = DataExport.objects.filter(pk=export_id, status=ExportStatus.PENDING).update(status=ExportStatus.FAILED)
    for leftover in exports_dir().glob(f"{export_id}.*.part"):
        leftover.unlink(missing_ok=True)
    return bool(failed)


def export_path(export: DataExport):
    return exports_dir() / export.file_name


def export_download_record(*, export: DataExport, actor) -> None:
    """Count and log a download: the member sees staff downloads in the privacy centre."""
    DataExport.objects.filter(pk=export.pk).update(downloads=F("downloads") + 1)
    if actor.pk == export.user_id:
        audit_record(actor=actor, subject=export.user, action="export_download", target=f"export {export.pk}")
    else:
        # Its own target, so the download never folds into the entry of the export's creation.
        staff_view_record(actor=actor, member=export.user, what="export", target=f"download of export {export.pk}")


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

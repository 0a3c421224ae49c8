"""Retention of the privacy core's own data: expired export files go after their week."""

from __future__ import annotations

from django.utils import timezone

from consent.dsar.models import DataExport, ExportStatus


def retention_preview(*, now=None) -> dict[str, int]:
    """What the next run deletes, per category."""
    now = now or timezone.now()
    return {"expired_exports": DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).count()}


def retention_apply(*, now=None) -> dict[str, int]:
    from consent.dsar.services import exports_purge_expired

    return {"expired_exports": exports_purge_expired(now=now)}

"""Demo access requests so the DPO console shows time left, a due-soon flag and an overdue one."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from consent.dsar import services
from consent.dsar.models import AccessRequest, RequestChannel, RequestKind
from consent.dsar.services import dpo_role
from consent.models import AuditEntry
from portal.models import User


def seed(*, stdout) -> list[str]:
    """Three open requests of customer2, entered by the DPO (idempotent: skipped when any exist)."""
    member = User.objects.with_email("customer2@example.com").first()
    dpo = User.objects.with_email("dpo@example.com").first()
    if dpo is not None and not AuditEntry.objects.filter(subject=dpo, action=dpo_role.GRANTED).exists():
        # The shell's seed put the demo DPO into the role; that grant is audited like one in the back office.
        services.dpo_role_changed(user=dpo, actor=None, was_dpo=False)
    if member is None or dpo is None or AccessRequest.objects.filter(member=member).exists():
        return []
    now = timezone.now()
    for kind, days_ago, channel in (
        (RequestKind.ACCESS, 26, RequestChannel.LETTER),
        (RequestKind.OBJECTION, 35, RequestChannel.EMAIL),
        (RequestKind.RECTIFICATION, 3, RequestChannel.EMAIL),
    ):
        services.request_create(
            member=member,
            kind=kind,
            actor=dpo,
            channel=channel,
            details="Demo request.",
            received_at=now - timedelta(days=days_ago),
        )
    if stdout is not None:
        stdout.write("  dsar: 3 demo access requests for customer2")
    return []

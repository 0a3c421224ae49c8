"""The built-in demo CRM: keeps what it received and reports task status back like a real CRM would."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import DemoReceipt, InterestCard
from crm.services.status import _is_uuid
from portal.events import enqueue_on_commit


def demo_receipt_record(*, webhook_id: str, payload: dict, signature_valid: bool) -> DemoReceipt:
    """Keep what the demo CRM received; a repeated delivery of the same key updates one row."""
    now = timezone.now()
    card = InterestCard.objects.filter(key=webhook_id).first() if _is_uuid(webhook_id) else None
    with transaction.atomic():
        receipt = DemoReceipt.objects.select_for_update().filter(webhook_id=webhook_id).first()
        if receipt is None:
            try:
                with transaction.atomic():
                    return DemoReceipt.objects.create(
                        webhook_id=webhook_id, card=card, payload=payload, signature_valid=signature_valid
                    )
            except IntegrityError:
                receipt = DemoReceipt.objects.select_for_update().get(webhook_id=webhook_id)
        DemoReceipt.objects.filter(pk=receipt.pk).update(
            payload=payload, signature_valid=signature_valid, deliveries=F("deliveries") + 1, updated_at=now
        )
    receipt.refresh_from_db()
    return receipt


def demo_task_complete(*, receipt_id: int) -> None:
    """The demo CRM completes a task: its signed status webhook goes out after commit, like a real CRM's."""
    receipt = DemoReceipt.objects.filter(pk=receipt_id).first()
    if receipt is None or not _is_uuid(receipt.webhook_id):
        raise ValidationError(_("This demo task is unknown."))
    from crm import tasks

    enqueue_on_commit(tasks.demo_report_status, receipt_id=receipt_id, status="done")


def demo_status_report(*, receipt_id: int, status: str) -> int:
    """POST the signed status event to the portal's own inbound hook; returns the HTTP status."""
    import httpx

    from crm.adapters.webhook import encode
    from crm.selectors import demo_connection
    from crm.signing import standard_headers

    receipt = DemoReceipt.objects.get(pk=receipt_id)
    connection = demo_connection()
    if connection is None:
        raise ValidationError(_("There is no demo connection."))
    body = encode(
        {"type": "task.status", "data": {"key": receipt.webhook_id, "status": status, "id": f"demo-{receipt.pk}"}}
    )
    headers = standard_headers(
        secret=connection.secrets().get("signing_secret", ""), msg_id=f"status-{receipt.pk}-{status}", body=body
    )
    headers["content-type"] = "application/json"
    url = settings.PORTAL_BASE_URL + f"/crm/hooks/{connection.pk}/"
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code

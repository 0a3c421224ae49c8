"""Inbound endpoints: CRM status webhooks and the built-in demo receiver (both verified against the raw body)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm import services
from crm.adapters import adapter_for
from crm.models import CrmConnection
from crm.selectors import demo_connection
from crm.signing import SignatureError, standard_verify
from portal.inputs import load_json

MAX_BODY = 256 * 1024


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def status_hook(request: HttpRequest, connection_id: int) -> JsonResponse:
    """A CRM reports a task's status; the signature is checked before the body is trusted."""
    if len(request.body) > MAX_BODY:
        return _error("body too large", 413)
    connection = CrmConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return _error("unknown connection", 404)
    try:
        event = adapter_for(connection).parse_status_event(request)
    except SignatureError:
        return _error("invalid signature", 401)
    except ValueError as exc:
        return _error(str(exc), 400)
    if event is None:
        return JsonResponse({"status": "ignored"}, status=202)
    card = services.card_status_apply(connection=connection, event=event)
    if card is None:
        return JsonResponse({"status": "unknown card"}, status=202)
    return JsonResponse({"status": "ok", "processed": card.is_processed})


@csrf_exempt
@require_POST
def demo_receiver(request: HttpRequest) -> JsonResponse:
    """The demo CRM: accepts signed cards from the demo connection and keeps one entry per key."""
    if len(request.body) > MAX_BODY:
        return _error("body too large", 413)
    connection = demo_connection()
    if connection is None:
        return _error("no demo connection", 404)
    try:
        msg_id = standard_verify(
            secret=connection.secrets().get("signing_secret", ""), headers=request.headers, body=request.body
        )
        payload = load_json(request.body, max_bytes=MAX_BODY)
    except SignatureError:
        return _error("invalid signature", 401)
    except (ValueError, UnicodeDecodeError):
        return _error("the body is not JSON", 400)
    if not isinstance(payload, dict):
        return _error("the body is not a JSON object", 400)
    receipt = services.demo_receipt_record(webhook_id=msg_id[:100], payload=payload, signature_valid=True)
    url = request.build_absolute_uri(reverse("crm_admin:demo_receiver") + f"#receipt-{receipt.pk}")
    return JsonResponse({"id": f"demo-{receipt.pk}", "url": url})

"""The inbound hook: tools push mentions as JSON signed per Standard Webhooks, one secret per source."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from intake import services
from intake.models import HookSource


@csrf_exempt
@require_POST
def hook(request: HttpRequest, source_id: int) -> JsonResponse:
    """Verify the signature against the raw body before anything is read or stored; idempotent on webhook-id."""
    source = HookSource.objects.filter(pk=source_id, is_active=True).select_related("rule").first()
    if source is None:
        return JsonResponse({"error": "unknown source"}, status=404)
    try:
        record, created = services.hook_receive(source=source, headers=request.headers, body=request.body)
    except services.HookRejected as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    return JsonResponse(
        {"status": "created" if created else "duplicate", "card": record.card_id}, status=201 if created else 200
    )

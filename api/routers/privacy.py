"""The caller's own consents and data exports, through the privacy centre's services (same ledger, same receipts).

Only personal tokens carry these scopes: no integration ever reaches one member's consents or exports.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from ninja import Router, Status

from api import schemas
from api.context import principal, require
from api.problems import Problem
from api.scopes import Scope
from consent import selectors, services
from consent.dsar import selectors as dsar_selectors
from consent.dsar import services as dsar_services
from consent.models import Channel, Purpose
from consent.receipts import receipt_for
from portal import ratelimit

router = Router(tags=["privacy"])
ERRORS = {frozenset({400, 401, 403, 404, 409, 422, 429}): Problem}


def consent_out(row) -> dict:
    consent = row.consent
    return {
        "purpose": row.purpose.code,
        "name": row.purpose.name,
        "description": row.purpose.summary,
        "state": consent.state if consent else "none",
        "granted": row.live,
        "notice_version": consent.notice_version if consent else 0,
        "current_notice_version": row.notice.version if row.notice else None,
        "updated_at": consent.updated_at if consent else None,
    }


def receipt_out(event) -> dict:
    return {
        "record_id": str(event.record_id),
        "kind": event.kind,
        "state": event.state,
        "created_at": event.created_at,
        "receipt_url": reverse("consent:receipt_download", args=[event.record_id]),
        "jws": receipt_for(event),
    }


@router.get("/me/consents", response={200: list[schemas.Consent], **ERRORS}, operation_id="consents_list")
def consents_list(request):
    """Every purpose with the caller's consent, as the privacy centre lists them."""
    require(request, Scope.CONSENTS_READ)
    return [consent_out(row) for row in selectors.purpose_rows_for(user=principal(request))]


@router.put("/me/consents/{purpose}", response={200: schemas.ConsentChange, **ERRORS}, operation_id="consents_set")
def consents_set(request, purpose: schemas.Slug, payload: schemas.ConsentIn):
    """Grant (to the current notice) or withdraw one consent; a change writes a ledger event with a signed receipt."""
    require(request, Scope.CONSENTS_WRITE)
    user = principal(request)
    chosen = Purpose.objects.filter(code=purpose[:40]).first()
    if chosen is None:
        raise Http404
    evidence = {
        "channel": Channel.WEB,
        "language": getattr(request, "LANGUAGE_CODE", None),
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }
    if payload.granted:
        event = services.consent_grant(user=user, purpose=chosen, notice_version=payload.notice_version, **evidence)
    else:
        event = services.consent_withdraw(user=user, purpose=chosen, **evidence)
    row = next(r for r in selectors.purpose_rows_for(user=user) if r.purpose.pk == chosen.pk)
    return {"consent": consent_out(row), "changed": event is not None, "receipt": receipt_out(event) if event else None}


def export_out(export) -> dict:
    available = export.is_available()
    return {
        "id": str(export.pk),
        "status": export.status,
        "created_at": export.created_at,
        "ready_at": export.ready_at,
        "expires_at": export.expires_at,
        # The ZIP is fetched in the signed-in privacy centre, never with a token.
        "download_url": reverse("dsar:export_download", args=[export.pk]) if available else None,
    }


@router.get("/me/exports", response={200: list[schemas.Export], **ERRORS}, operation_id="exports_list")
def exports_list(request):
    """The caller's recent data exports."""
    require(request, Scope.EXPORTS_READ)
    return [export_out(e) for e in dsar_selectors.exports_of(user=principal(request))]


@router.post("/me/exports", response={202: schemas.Export, **ERRORS}, operation_id="exports_create")
def exports_create(request):
    """Request an export of all the caller's data; it is built in the background and announced when ready."""
    require(request, Scope.EXPORTS_WRITE)
    user = principal(request)
    ratelimit.hit(f"dsar-export:{user.pk}", limit=5, window=3600)
    return Status(202, export_out(dsar_services.export_request(user=user)))

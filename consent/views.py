"""The privacy centre, receipts, the JWKS, double opt-in confirmation and one-click unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_GET, require_http_methods, require_POST

from consent import newsletter, selectors, services, witness
from consent.forms import ReceiptVerifyForm
from consent.models import Channel, LedgerCheckpoint, Purpose
from consent.receipts import jwks as published_keys
from consent.receipts import receipt_for, verify_receipt
from consent.unsubscribe import read_unsubscribe_token
from portal.models import User

CHECK_LABELS = {
    "signature": _("Signed with the portal's published key"),
    "entry": _("The ledger entry matches its hash"),
    "fields": _("The receipt's fields match the ledger entry"),
    "inclusion": _("The inclusion proof leads to the signed tree root"),
    "ledger": _("The portal's ledger still holds this entry under the same root"),
}


def _evidence(request) -> dict[str, str]:
    return {"ip": request.META.get("REMOTE_ADDR", ""), "user_agent": request.META.get("HTTP_USER_AGENT", "")}


@require_GET
def privacy_centre(request):
    links = {"verify_url": reverse("consent:receipt_verify"), "jwks_url": reverse("consent:jwks")}
    if not request.user.is_authenticated:
        return render(request, "consent/privacy_public.html", {"rows": selectors.purposes_with_notices(), **links})
    user = request.user
    context = {
        **links,
        "rows": selectors.purpose_rows_for(user=user),
        "history": selectors.history_for(user=user),
        "accesses": selectors.accesses_to(user=user),
    }
    return render(request, "consent/privacy_centre.html", context)


@login_required
@require_POST
def consent_toggle(request, code: str):
    """One click grants, one click withdraws."""
    action = request.POST.get("action")
    if action not in ("grant", "withdraw"):
        return HttpResponse(_("Choose grant or withdraw."), status=400, content_type="text/plain; charset=utf-8")
    try:
        purpose = Purpose.objects.get(code=code)
    except Purpose.DoesNotExist:
        raise Http404
    try:
        notice_version = int(request.POST.get("notice_version", ""))
    except ValueError:
        notice_version = None
    try:
        if action == "grant":
            event = services.consent_grant(
                user=request.user,
                purpose=purpose,
                channel=Channel.WEB,
                notice_version=notice_version,
                language=request.LANGUAGE_CODE,
                **_evidence(request),
            )
        else:
            event = services.consent_withdraw(
                user=request.user,
                purpose=purpose,
                channel=Channel.WEB,
                language=request.LANGUAGE_CODE,
                **_evidence(request),
            )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        if event is None:
            messages.info(
                request, _("Nothing changed: “%(purpose)s” was already in this state.") % {"purpose": purpose.name}
            )
        elif event.state == "pending":
            messages.success(
                request,
                _("Almost done: we sent a confirmation link to %(email)s. “%(purpose)s” starts once you open it.")
                % {"email": request.user.email, "purpose": purpose.name},
            )
        elif event.state == "granted":
            messages.success(request, _("Thank you: you agreed to “%(purpose)s”.") % {"purpose": purpose.name})
        else:
            messages.success(request, _("Done: “%(purpose)s” is withdrawn and stops now.") % {"purpose": purpose.name})
    return redirect(reverse("consent:centre") + f"#purpose-{purpose.code}")


@login_required
@require_GET
def receipt_download(request, record_id):
    event = selectors.event_of_member(user=request.user, record_id=record_id)
    if event is None:
        raise Http404
    response = HttpResponse(receipt_for(event), content_type="application/jose; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consent-receipt-{event.record_id}.jws"'
    return response


@require_http_methods(["GET", "POST"])
def receipt_verify(request):
    """Anyone can check a receipt against the published key and the ledger."""
    form = ReceiptVerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = verify_receipt(form.cleaned_data["receipt"])
    checks = [(CHECK_LABELS[name], ok) for name, ok in result.checks] if result else []
    status = 200 if result is None or result.valid or request.method == "GET" else 422
    if request.method == "POST" and not form.is_valid():
        status = 400
    return render(
        request, "consent/receipt_verify.html", {"form": form, "result": result, "checks": checks}, status=status
    )


def _checkpoints_etag(request) -> str:
    newest = LedgerCheckpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    return f"checkpoints-{newest or 0}"


@require_GET
@condition(etag_func=_checkpoints_etag)
def ledger_checkpoints(request):
    """Every signed ledger checkpoint, oldest first: public, cacheable, only ever growing, so anyone can keep copies."""
    response = JsonResponse(witness.published_list())
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks(request):
    response = JsonResponse(published_keys())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["GET", "POST"])
def opt_in_confirm(request, token: str):
    """GET shows the confirmation button (mail scanners follow links); POST confirms."""
    try:
        row = newsletter.opt_in_lookup(token)
    except ValidationError as exc:
        if exc.code == "expired":
            services.consent_expire_pending()
        return render(
            request,
            "consent/opt_in_failed.html",
            {"error": exc.messages[0]},
            status=410 if exc.code != "invalid" else 404,
        )
    if request.method == "GET":
        return render(request, "consent/opt_in_confirm.html", {"purpose": row.purpose, "email": row.email})
    try:
        services.opt_in_confirm(token=token, **_evidence(request))
    except ValidationError as exc:
        return render(request, "consent/opt_in_failed.html", {"error": exc.messages[0]}, status=410)
    return render(request, "consent/opt_in_done.html", {"purpose": row.purpose})


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" without a session or CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Withdraw a marketing consent without logging in; the signed token names member and purpose."""
    found = read_unsubscribe_token(token)
    user = User.objects.filter(pk=found[0]).first() if found else None
    purpose = Purpose.objects.filter(code=found[1]).first() if found else None
    if user is None or purpose is None:
        return render(request, "consent/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "GET":
        return render(request, "consent/unsubscribe.html", {"purpose": purpose, "token": token})
    services.consent_withdraw(user=user, purpose=purpose, channel=Channel.EMAIL_LINK, **_evidence(request))
    return render(request, "consent/unsubscribe.html", {"purpose": purpose, "done": True})

"""Back-office views for staff: interest cards (filter, claim), the outbox (inspect, retry), the demo CRM."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consent.services import staff_view_record
from crm import permissions, selectors, services
from crm.forms import CardFilterForm, OutboxFilterForm
from crm.models import ActionType, InterestCard, SourceType
from portal.inputs import page_number
from portal.models import User

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(page_number(request, "p"))


def card_index(request):
    if not permissions.can_view_cards(request.user):
        raise PermissionDenied
    assignees = User.objects.filter(
        pk__in=InterestCard.objects.filter(assignee__isnull=False).values("assignee")
    ).order_by("handle")
    form = CardFilterForm(request.GET or None, tags=selectors.card_tags(), assignees=assignees)
    filters = form.filters()
    page = _page(request, selectors.card_list(**filters))
    return render(
        request,
        "crm/admin/card_index.html",
        {
            "page_title": _("Interest cards"),
            "header_icon": "tasks",
            "form": form,
            "page": page,
            "cards": page.object_list,
            "filter_query": urlencode({name: value for name, value in filters.items() if value}),
        },
    )


def card_detail(request, card_id: int):
    permissions.access_card(request.user, card_id)
    card = selectors.card_detail(card_id)
    if card.identity_sent:
        # The payloads below carry the member's name and e-mail.
        staff_view_record(actor=request.user, member=card.member, what="crm_card_view", target=f"card {card.pk}")
    deliveries = [
        {"message": m, "payload": json.dumps(m.payload, indent=2, ensure_ascii=False) if m.payload else ""}
        for m in card.outbox.all()
    ]
    return render(
        request,
        "crm/admin/card_detail.html",
        {
            "page_title": card.title,
            "header_icon": "tasks",
            "card": card,
            "deliveries": deliveries,
            "can_claim": permissions.can_claim_card(request.user, card),
        },
    )


@require_POST
def card_claim(request, card_id: int):
    card = permissions.access_card(request.user, card_id)
    if card.assignee_id is not None:
        messages.warning(request, _("Someone else claimed this card first."))
    elif services.card_claim(card=card, user=request.user):
        messages.success(request, _("You own this card now."))
    else:
        messages.warning(request, _("Someone else claimed this card first."))
    target = request.POST.get("next", "")
    if target.startswith("/admin/crm/"):
        return redirect(target)
    return redirect("crm_admin:card", card_id=card.pk)


@require_POST
def card_reply(request, card_id: int):
    """Record what was answered outside the portal (phone, the CRM, the source); the card is processed."""
    card = permissions.access_card(request.user, card_id)
    try:
        services.card_reply_record(card=card, user=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The reply is recorded and the card is processed."))
    return redirect("crm_admin:card", card_id=card.pk)


def outbox_index(request):
    if not permissions.can_view_outbox(request.user):
        raise PermissionDenied
    form = OutboxFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    page = _page(request, selectors.outbox_list(state=state))
    return render(
        request,
        "crm/admin/outbox_index.html",
        {"page_title": _("CRM outbox"), "header_icon": "mail", "form": form, "page": page, "rows": page.object_list},
    )


@require_POST
def outbox_retry(request, message_id: int):
    message = permissions.access_outbox_message(request.user, message_id)
    if not permissions.can_retry_outbox(request.user, message):
        raise PermissionDenied
    try:
        services.outbox_retry(message=message, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect("crm_admin:outbox")


def demo_receiver(request):
    if not permissions.can_view_demo_receiver(request.user):
        raise PermissionDenied
    receipts = [
        {
            "receipt": r,
            "payload": json.dumps(r.payload, indent=2, ensure_ascii=False),
            "source": _source_label(r.payload.get("source_type")),
            "action": _action_label(r.payload.get("action_type")),
            "member": _member_label(r.payload.get("author")),
            "source_url": _web_link(r.payload.get("source_url")),
        }
        for r in selectors.demo_receipts()[:100]
    ]
    return render(
        request,
        "crm/admin/demo_receiver.html",
        {
            "page_title": _("Demo CRM"),
            "header_icon": "download",
            "receipts": receipts,
            "connection": selectors.demo_connection(),
        },
    )


def _source_label(value) -> str:
    """The source type a CRM received, in the staff member's language (as sent when unknown)."""
    return str(SourceType(value).label) if value in SourceType.values else str(value or "")


def _action_label(value) -> str:
    """The action type a CRM received, in the staff member's language (as sent when unknown)."""
    return str(ActionType(value).label) if value in ActionType.values else str(value or "")


def _member_label(author) -> str:
    """Who the card is about as the CRM received it: the name (with consent), else the pseudonym."""
    author = author if isinstance(author, dict) else {}
    return str(author.get("name") or author.get("pseudonym") or _("not identified"))


def _web_link(value) -> str:
    """Only http(s) links from a received payload become clickable."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


@require_POST
def demo_complete(request, receipt_id: int):
    """The demo CRM marks a task done and reports it back through the signed status webhook."""
    if not permissions.can_view_demo_receiver(request.user):
        raise PermissionDenied
    try:
        services.demo_task_complete(receipt_id=receipt_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        # The report leaves through the task worker: nothing is done until the portal received it.
        messages.info(
            request,
            _(
                "The demo CRM is sending its report. The task shows “done” once the portal has received it; "
                "if it does not, check that the task worker runs."
            ),
        )
    return redirect("crm_admin:demo_receiver")

"""Back-office views of the intake: the cards from outside, the mailboxes' health, the rule test."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import permissions as crm_permissions
from crm import services as crm_services
from intake import permissions, selectors, services, tasks
from intake.forms import CommunityForm, IntakeFilterForm, ReplyForm, ReplyRecordForm, RuleTestForm
from intake.models import INTAKE_ACTIONS, INTAKE_SOURCES, SkipReason
from portal.events import enqueue_on_commit
from portal.inputs import page_number
from portal.models import User

PAGE_SIZE = 50


def card_index(request):
    if not permissions.can_view_intake(request.user):
        raise PermissionDenied
    form = IntakeFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.intake_cards(**filters), PAGE_SIZE).get_page(page_number(request, "p"))
    return render(
        request,
        "intake/admin/card_index.html",
        {
            "page_title": _("Cards from outside"),
            "header_icon": "mail",
            "form": form,
            "page": page,
            "rows": page.object_list,
            "filter_query": urlencode({k: v for k, v in filters.items() if v}),
        },
    )


def card_detail(request, mail_id: int):
    permissions.access_intake_mail(request.user, mail_id)
    record = selectors.intake_card(mail_id)
    card = record.card
    return render(
        request,
        "intake/admin/card_detail.html",
        {
            "page_title": record.subject or _("Card from outside"),
            "header_icon": "mail",
            "record": record,
            "card": card,
            "can_claim": card is not None and crm_permissions.can_claim_card(request.user, card),
            "can_reply": permissions.can_reply(request.user, record),
            "reply_form": ReplyForm(),
            "record_form": ReplyRecordForm(),
            "can_bring": permissions.can_bring_to_community(request.user, record),
            "can_release": card is not None and crm_permissions.can_release_card(request.user, card),
            "staff": selectors.card_workers() if card is not None and card.assignee_id else [],
            "community_form": CommunityForm(
                forums=selectors.forums(), initial={"title": record.subject[:200], "body": record.text}
            ),
            "accepted": selectors.accepted_answer(record),
        },
    )


@require_POST
def bring_to_community(request, mail_id: int):
    """Create a forum thread from the card's question; the card links to it."""
    record = permissions.access_intake_mail(request.user, mail_id)
    form = CommunityForm(request.POST, forums=selectors.forums())
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("intake_admin:mail", mail_id=record.pk)
    try:
        services.thread_from_card(
            record=record,
            user=request.user,
            forum=form.cleaned_data["forum"],
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            private=form.cleaned_data["private"],
            tell_author=form.cleaned_data["tell_author"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The question is in the community now."))
    return redirect("intake_admin:mail", mail_id=record.pk)


@require_POST
def card_release(request, mail_id: int):
    """Give the card back (unassigned), or hand it to another staff member."""
    record = permissions.access_intake_mail(request.user, mail_id)
    if record.card is None or not crm_permissions.can_release_card(request.user, record.card):
        raise PermissionDenied
    target = request.POST.get("to", "")
    try:
        if target.isdigit():
            to = User.objects.filter(pk=int(target), is_active=True).first()
            crm_services.card_reassign(card=record.card, user=request.user, to=to)
            messages.success(request, _("The card has a new owner."))
        else:
            crm_services.card_release(card=record.card, user=request.user)
            messages.success(request, _("The card is unassigned again."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("intake_admin:mail", mail_id=record.pk)


@require_POST
def reply(request, mail_id: int):
    """Send the reply to an e-mail source, or note what was answered at a social or web source."""
    record = permissions.access_intake_mail(request.user, mail_id)
    try:
        if record.answers_by_mail:
            form = ReplyForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Write a reply first."))
            services.reply_send(record=record, user=request.user, text=form.cleaned_data["text"])
            messages.success(request, _("Your reply was sent; the card is processed."))
        else:
            form = ReplyRecordForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError([error for errors in form.errors.values() for error in errors])
            services.reply_record(
                record=record,
                user=request.user,
                text=form.cleaned_data["text"],
                screenshot=form.cleaned_data["screenshot"],
            )
            messages.success(request, _("The answer is recorded; the card is processed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("intake_admin:mail", mail_id=record.pk)


@require_POST
def card_claim(request, mail_id: int):
    record = permissions.access_intake_mail(request.user, mail_id)
    if record.card is None or not crm_permissions.can_claim_card(request.user, record.card):
        messages.warning(request, _("Someone else claimed this card first."))
    elif crm_services.card_claim(card=record.card, user=request.user):
        messages.success(request, _("You own this card now."))
    else:
        messages.warning(request, _("Someone else claimed this card first."))
    return redirect("intake_admin:mail", mail_id=record.pk)


def mailbox_health(request):
    if not permissions.can_view_mailboxes(request.user):
        raise PermissionDenied
    return render(
        request,
        "intake/admin/mailbox_health.html",
        {
            "page_title": _("Mailbox health"),
            "header_icon": "pick",
            "mailboxes": selectors.mailbox_health(),
            "hooks": selectors.hook_health(),
            "feeds": selectors.feed_health(),
            "can_poll": permissions.can_poll_mailbox(request.user),
        },
    )


@require_POST
def mailbox_poll(request, mailbox_id: int):
    if not permissions.can_poll_mailbox(request.user):
        raise PermissionDenied
    enqueue_on_commit(tasks.poll_mailbox, mailbox_id=mailbox_id)
    messages.success(request, _("The mailbox will be read in a moment."))
    return redirect("intake_admin:health")


def rule_test(request):
    """Staff paste a raw mail and see the card it would make, nothing is stored."""
    if not permissions.can_test_rules(request.user):
        raise PermissionDenied
    form = RuleTestForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        mail, extraction, skipped = services.preview(form.cleaned_data["raw"].encode("utf-8", "surrogateescape"))
        result = {
            "mail": mail,
            "card": extraction,
            "skipped": skipped,
            "skipped_label": _skip_label(skipped),
            "source_label": dict(INTAKE_SOURCES).get(extraction.source_type, "") if extraction else "",
            "action_label": dict(INTAKE_ACTIONS).get(extraction.action_type, "") if extraction else "",
        }
    return render(
        request,
        "intake/admin/rule_test.html",
        {"page_title": _("Test the parsing rules"), "header_icon": "search", "form": form, "result": result},
    )


def _skip_label(reason: str) -> str:
    return str(SkipReason(reason).label) if reason else ""

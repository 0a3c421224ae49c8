"""Back-office pages of a campaign beyond compose/edit: overview with previews and log, test copy, send, schedule."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consent.campaigns import permissions, selectors, services
from consent.campaigns.forms import ScheduleForm
from consent.campaigns.models import CampaignStatus
from consent.campaigns.rendering import body_html
from portal.forms import add_service_errors


def _overview(campaign_id: int) -> str:
    return reverse("campaigns:overview", args=[campaign_id])


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


def overview(request, pk: int):
    campaign = permissions.access_campaign(request.user, pk)
    schedule_form = ScheduleForm()
    if request.method == "POST":
        if not permissions.can_send_campaigns(request.user):
            raise PermissionDenied
        schedule_form = ScheduleForm(request.POST)
        if schedule_form.is_valid():
            try:
                services.campaign_schedule(
                    campaign=campaign, actor=request.user, send_at=schedule_form.cleaned_data["send_at"]
                )
            except ValidationError as exc:
                add_service_errors(schedule_form, exc)
            else:
                messages.success(request, _("The campaign is scheduled."))
                return redirect(_overview(campaign.pk))
    previews = [
        {"code": code, "label": label, "subject": campaign.subject_for(code), "body": body_html(campaign, code)}
        for code, label in (("en", _("English")), ("de", _("German")))
    ]
    return render(
        request,
        "campaigns/admin/overview.html",
        {
            "page_title": campaign.title,
            "page_subtitle": _("Newsletter campaign"),
            "header_icon": "mail",
            "campaign": campaign,
            "previews": previews,
            "log": selectors.campaign_log(campaign),
            "subscribers": selectors.subscriber_counts() if campaign.status == CampaignStatus.DRAFT else None,
            "schedule_form": schedule_form,
            "can_send": permissions.can_send_campaigns(request.user),
            "is_draft": campaign.status == CampaignStatus.DRAFT,
            "is_scheduled": campaign.status == CampaignStatus.SCHEDULED,
        },
    )


@require_POST
def test_send(request, pk: int):
    campaign = permissions.access_campaign(request.user, pk)
    try:
        services.campaign_test_send(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("A test copy in English and one in German are on their way to %(email)s.")
            % {"email": request.user.email},
        )
    return redirect(_overview(campaign.pk))


@require_POST
def send_now(request, pk: int):
    campaign = permissions.access_campaign(request.user, pk)
    try:
        services.campaign_schedule(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Sending has started. The log below fills as the mails go out."))
    return redirect(_overview(campaign.pk))


@require_POST
def unschedule(request, pk: int):
    campaign = permissions.access_campaign(request.user, pk)
    try:
        services.campaign_unschedule(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The campaign is a draft again."))
    return redirect(_overview(campaign.pk))

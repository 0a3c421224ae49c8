"""Back-office views for administrators: subscriptions, their delivery log, the test event, pause and resume."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.webhooks import permissions, selectors, services
from api.webhooks.forms import EVENT_LABELS, DeliveryFilterForm, SubscriptionForm
from api.webhooks.models import PauseReason, WebhookSubscription
from portal.inputs import page_number

PAGE_SIZE = 50


def subscription_index(request):
    if not permissions.can_manage_webhooks(request.user):
        raise PermissionDenied
    return render(
        request,
        "webhooks/admin/subscription_index.html",
        {"page_title": _("Webhooks"), "header_icon": "link", "subscriptions": selectors.subscription_list()},
    )


def subscription_add(request):
    if not permissions.can_manage_webhooks(request.user):
        raise PermissionDenied
    return _edit(request, WebhookSubscription(), title=_("Add a webhook"))


def subscription_edit(request, subscription_id: int):
    subscription = permissions.access_subscription(request.user, subscription_id)
    return _edit(request, subscription, title=_("Edit webhook “%(name)s”") % {"name": subscription.name})


def _edit(request, subscription: WebhookSubscription, *, title: str):
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.subscription_save(subscription=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The webhook is saved."))
            return redirect("webhooks_admin:detail", subscription_id=subscription.pk)
    return render(
        request,
        "webhooks/admin/subscription_form.html",
        {"page_title": title, "header_icon": "link", "form": form, "subscription": subscription},
    )


def subscription_detail(request, subscription_id: int, *, secret: str = ""):
    subscription = permissions.access_subscription(request.user, subscription_id)
    form = DeliveryFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    page = Paginator(selectors.delivery_log(subscription=subscription, state=state), PAGE_SIZE).get_page(
        page_number(request, "p")
    )
    rows = [
        {
            "delivery": delivery,
            "attempts": list(delivery.attempt_log.all()),
            "payload": json.dumps(delivery.payload, indent=2, ensure_ascii=False) if delivery.payload else "",
        }
        for delivery in page.object_list
    ]
    return render(
        request,
        "webhooks/admin/subscription_detail.html",
        {
            "page_title": subscription.name,
            "header_icon": "link",
            "subscription": subscription,
            "events": [(name, EVENT_LABELS.get(name, name)) for name in subscription.events],
            "pseudonym_prefix": f"{subscription.pseudonym_domain}_",
            "secret": secret,
            "form": form,
            "page": page,
            "rows": rows,
            "state": state,
        },
    )


@require_POST
def subscription_reveal(request, subscription_id: int):
    """Show the signing secret on this one response (never in a link, never cached)."""
    subscription = permissions.access_subscription(request.user, subscription_id)
    response = subscription_detail(request, subscription_id, secret=subscription.signing_secret())
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def subscription_rotate(request, subscription_id: int):
    subscription = permissions.access_subscription(request.user, subscription_id)
    secret = services.subscription_secret_rotate(subscription=subscription)
    messages.warning(request, _("A new signing secret is in use; update the receiver with it."))
    response = subscription_detail(request, subscription_id, secret=secret)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def subscription_test(request, subscription_id: int):
    subscription = permissions.access_subscription(request.user, subscription_id)
    services.test_event_send(subscription=subscription)
    messages.success(request, _("A test event is on its way; its outcome appears in the delivery log below."))
    return redirect("webhooks_admin:detail", subscription_id=subscription.pk)


@require_POST
def subscription_pause(request, subscription_id: int):
    subscription = permissions.access_subscription(request.user, subscription_id)
    services.subscription_pause(subscription=subscription, reason=PauseReason.MANUAL, notify=False)
    messages.success(request, _("The webhook is paused; events wait until it is resumed."))
    return redirect("webhooks_admin:detail", subscription_id=subscription.pk)


@require_POST
def subscription_resume(request, subscription_id: int):
    subscription = permissions.access_subscription(request.user, subscription_id)
    waiting = services.subscription_resume(subscription=subscription)
    messages.success(
        request, _("The webhook is resumed; %(count)s waiting deliveries go out now.") % {"count": waiting}
    )
    return redirect("webhooks_admin:detail", subscription_id=subscription.pk)


@require_POST
def subscription_delete(request, subscription_id: int):
    subscription = permissions.access_subscription(request.user, subscription_id)
    name = subscription.name
    services.subscription_delete(subscription=subscription)
    messages.success(request, _("The webhook “%(name)s” is deleted.") % {"name": name})
    return redirect("webhooks_admin:index")

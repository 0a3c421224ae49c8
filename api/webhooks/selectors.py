"""Reads of the webhook back office: subscriptions with their figures, the delivery log."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from api.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
        waiting=Count("deliveries", filter=Q(deliveries__state__in=(DeliveryState.PENDING, DeliveryState.FAILED))),
        dead=Count("deliveries", filter=Q(deliveries__state=DeliveryState.DEAD)),
    ).order_by("name", "pk")


def delivery_log(*, subscription: WebhookSubscription, state: str = "") -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first, each with its attempts (response codes) loaded."""
    rows = WebhookDelivery.objects.filter(subscription=subscription)
    if state:
        rows = rows.filter(state=state)
    return rows.prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number", "pk"))
    ).order_by("-created_at", "-pk")


def pseudonym_recipients() -> list[tuple[str, str]]:
    """Every subscription as a recipient of pseudonyms, for the DPO's re-identification (consent's slot)."""
    return [
        (key, f"Webhook: {name}")
        for key, name in WebhookSubscription.objects.order_by("name", "pk").values_list("recipient_key", "name")
    ]

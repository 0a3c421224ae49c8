"""Classification of the webhook models in the personal-data registry."""

from consent.registry import Erasure, register

register(
    "webhooks.WebhookDelivery",
    subject="member",
    category="webhook_deliveries",
    export_fields=("event_type", "state", "payload", "occurred_at", "sent_at"),
    erasure=Erasure.DELETE,
    reason="What was sent about the member to a webhook subscriber and when (pseudonymous payloads).",
)
register(
    "webhooks.WebhookAttempt",
    subject="delivery__member",
    category="webhook_attempts",
    export_fields=("number", "response_status", "attempted_at"),
    erasure=Erasure.DELETE,
    reason="The delivery log of a delivery about the member: response codes and times only.",
)
register(
    "webhooks.WebhookSubscription",
    subject="created_by",
    category="webhook_subscriptions_created",
    export_fields=("name", "created_at"),
    erasure=Erasure.ANONYMISE,
    anonymise={"created_by": None},
    reason="The administrator who created a subscription: the subscription stays, the link to them goes.",
)

"""Background work of the outbound webhooks, on the "webhooks" queue."""

from __future__ import annotations

from django_tasks import task

from api.webhooks import services


@task(queue_name="webhooks")
def deliver_webhook(*, message_id: int) -> str:
    """Send one delivery (a row another worker holds, or one not yet due, is skipped)."""
    return services.delivery_send(message_id=message_id)


@task(queue_name="webhooks")
def sweep_deliveries() -> dict[str, int]:
    """Recover deliveries of crashed workers and re-enqueue due retries (every minute)."""
    return services.deliveries_sweep()

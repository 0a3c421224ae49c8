"""Campaign sending in the task queue: the scheduler runs the tick every minute, "send now" once more at once."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="email")
def campaigns_tick() -> int:
    """Queue the next batch of the campaign under way, or start the next one due; returns the mails queued."""
    from consent.campaigns.services import campaigns_send_due

    return campaigns_send_due()

"""Background work of the CRM integration, on the "crm" queue."""

from __future__ import annotations

from django_tasks import task

from crm import services
from crm.models import CrmConnection


@task(queue_name="crm")
def deliver_outbox_message(*, message_id: int) -> dict[str, int]:
    """Send one outbox row, then a bounded batch of its connection's other due rows (see ``outbox_drain``).

    A row another worker holds, or one not yet due, is skipped.
    """
    return services.outbox_drain(message_id=message_id)


@task(queue_name="crm")
def sweep_outbox() -> dict[str, int]:
    """Recover rows of crashed workers and re-enqueue due retries (run every minute: ``manage.py crm_sweep``)."""
    return services.outbox_sweep()


@task(queue_name="crm")
def poll_connections() -> int:
    """Fetch status changes from CRMs that report by polling."""
    total = 0
    for connection in CrmConnection.objects.filter(is_active=True):
        total += services.connection_poll(connection=connection)
    return total


@task(queue_name="crm")
def demo_report_status(*, receipt_id: int, status: str) -> int:
    """The demo CRM calls back like a real one would: a signed status webhook over HTTP."""
    return services.demo_status_report(receipt_id=receipt_id, status=status)

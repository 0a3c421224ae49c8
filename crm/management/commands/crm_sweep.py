"""Run the CRM outbox sweep: once (cron, every minute) or in a loop beside the worker."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from crm import services
from crm.adapters.base import DeliveryError
from crm.models import CrmConnection


class Command(BaseCommand):
    help = (
        "Recover CRM deliveries left 'sending' by a crashed worker, re-enqueue due retries and poll "
        "CRMs for status. Run every minute from cron, or keep it running with --every 60."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds (0: run once).")
        parser.add_argument("--no-poll", action="store_true", help="Skip polling CRMs for task status.")

    def handle(self, *args, every: float, no_poll: bool, **options):
        while True:
            result = services.outbox_sweep()
            polled = 0
            if not no_poll:
                for connection in CrmConnection.objects.filter(is_active=True):
                    try:
                        polled += services.connection_poll(connection=connection)
                    except (DeliveryError, ValueError) as exc:  # one unreachable CRM must not stop the sweep
                        self.stderr.write(f"polling {connection}: {exc}")
            self.stdout.write(f"recovered={result['recovered']} enqueued={result['enqueued']} status_updates={polled}")
            if not every:
                return
            time.sleep(every)

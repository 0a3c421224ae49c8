"""Test-only hooks loaded by ``worker_kill_settings``: a slow export and a CRM lease as short as the task lease.

The export writes its ZIP, drops a marker file and then sleeps ``SLOW_EXPORT_SECONDS``, so the test
can kill the worker while the task is RUNNING with a half-finished result on disk.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class WorkerKillHooks(AppConfig):
    name = "tests.integration"
    label = "worker_kill_hooks"

    def ready(self):
        import crm.services.leases

        crm.services.leases.LEASE = timedelta(seconds=settings.TASK_LEASE_SECONDS)
        seconds = float(os.environ.get("SLOW_EXPORT_SECONDS") or 0)
        if not seconds:
            return
        from consent.dsar.export import ExportWriter

        write = ExportWriter.write

        def slow_write(self):
            rows = write(self)
            (Path(settings.VAR_DIR) / "export-written").touch()
            time.sleep(seconds)
            return rows

        ExportWriter.write = slow_write

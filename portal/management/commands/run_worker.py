"""django-tasks-db's ``db_worker`` with a heartbeat, so the recovery job can tell a dead worker's tasks apart."""

from __future__ import annotations

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from portal.task_leases import Heartbeat, running_task, worker_stopped


class LeasedWorker(db_worker.Worker):
    """A worker whose liveness is a heartbeat row renewed by a thread while it runs (see ``portal.task_leases``)."""

    def run(self) -> None:
        heartbeat = Heartbeat(self.worker_id).start()
        try:
            super().run()
        finally:
            heartbeat.stop()
            worker_stopped(worker_id=self.worker_id)

    def run_task(self, db_task_result) -> None:
        with running_task(db_task_result.pk):
            super().run_task(db_task_result)


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker) with a heartbeat every third of TASK_LEASE_SECONDS; "
        "the recovery job re-queues the tasks of a worker whose heartbeat stopped."
    )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()

"""Tasks survive a dead worker: heartbeats, recovery of lost tasks, and effects done exactly once.

django-tasks-db marks a task RUNNING when a worker claims it and only the same worker ever finishes
it, so a worker killed mid-task (SIGKILL, OOM, a lost machine) leaves it RUNNING for ever. Here:

- every worker (``manage.py run_worker``) keeps a ``TaskWorker`` row whose heartbeat a thread renews
  every third of ``TASK_LEASE_SECONDS``;
- the recovery job (``recover_lost_tasks``, every minute through the scheduler) finds RUNNING tasks
  whose worker has been silent for longer than the lease and puts them back in the queue, or, once
  ``TASK_MAX_ATTEMPTS`` workers have died on one, marks it FAILED, logs it and calls the handler its
  app registered with ``on_given_up`` (an export then shows "failed" instead of "being prepared");
- a re-run must not repeat an effect: database effects go in ``effect_once`` (the marker commits or
  rolls back with the effect), outside effects (e-mail) in ``outside_effect_once``; both key the
  marker by the id of the enqueued task, which a re-queued task keeps.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.models import TaskEffect, TaskWorker

logger = logging.getLogger(__name__)

EFFECT_DAYS = 30  # markers are kept this long: far longer than any task waits for a retry
WORKER_ROWS_KEPT = 10  # leases: a silent worker's row is removed after this many leases


class WorkerLost(Exception):
    """The worker running a task stopped answering; recorded as the failed task's exception."""


def lease() -> timedelta:
    return timedelta(seconds=settings.TASK_LEASE_SECONDS)


# --- Heartbeats ---------------------------------------------------------------------------


def worker_beat(*, worker_id: str, now=None) -> None:
    """Record that ``worker_id`` is alive (creates its row on the first beat)."""
    now = now or timezone.now()
    updated = TaskWorker.objects.filter(worker_id=worker_id).update(heartbeat_at=now)
    if not updated:
        TaskWorker.objects.update_or_create(
            worker_id=worker_id,
            defaults={"heartbeat_at": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
            create_defaults={
                "heartbeat_at": now,
                "started_at": now,
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
            },
        )


def worker_stopped(*, worker_id: str) -> None:
    """A worker that stops cleanly leaves no row behind (it finished or failed its task itself)."""
    TaskWorker.objects.filter(worker_id=worker_id).delete()


class Heartbeat:
    """A daemon thread renewing one worker's heartbeat until stopped; a failed beat is retried next time."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{worker_id}", daemon=True)

    def start(self) -> Heartbeat:
        worker_beat(worker_id=self.worker_id)  # before the first claim, so no task ever has a worker without a row
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=settings.TASK_LEASE_SECONDS)

    def _run(self) -> None:
        interval = max(settings.TASK_LEASE_SECONDS / 3, 0.1)
        try:
            while not self._stop.wait(interval):
                try:
                    close_old_connections()
                    worker_beat(worker_id=self.worker_id)
                except DatabaseError:
                    logger.warning("Heartbeat of worker %s failed; trying again", self.worker_id, exc_info=True)
        finally:
            connection.close()


# --- Recovery -----------------------------------------------------------------------------

_given_up: dict[str, Callable[..., object]] = {}


def on_given_up(task) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Register what to do when ``task`` is given up after its workers died (decorator).

    The handler gets the task's keyword arguments and runs in the transaction that marks the task
    failed. Register it in the task's module: recovery imports that module before looking.
    """

    def register(handler: Callable[..., object]) -> Callable[..., object]:
        _given_up[task.module_path] = handler
        return handler

    return register


def _handler_for(task_path: str) -> Callable[..., object] | None:
    try:
        import_string(task_path)  # registers the handlers of the task's module
    except ImportError:
        logger.exception("Lost task %s cannot be imported", task_path)
    return _given_up.get(task_path)


def recover_lost_tasks(*, now=None, limit: int = 500) -> dict[str, int]:
    """Re-queue (or, after ``TASK_MAX_ATTEMPTS`` lost workers, fail) RUNNING tasks whose worker is silent."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - lease()
    alive = set(TaskWorker.objects.filter(heartbeat_at__gte=cutoff).values_list("worker_id", flat=True))
    candidates = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        .order_by("started_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"requeued": 0, "failed": 0}
    for pk in candidates:
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update().filter(pk=pk, status=TaskResultStatus.RUNNING).first()
            if row is None or (row.worker_ids and row.worker_ids[-1] in alive):
                continue
            attempts = len(row.worker_ids)
            if attempts < settings.TASK_MAX_ATTEMPTS:
                row.status = TaskResultStatus.READY
                row.started_at = None
                row.save(update_fields=["status", "started_at"])
                logger.warning(
                    "Task %s (%s) lost its worker %s; queued again (attempt %d of %d)",
                    row.pk,
                    row.task_path,
                    row.worker_ids[-1] if row.worker_ids else "?",
                    attempts + 1,
                    settings.TASK_MAX_ATTEMPTS,
                )
                counts["requeued"] += 1
                continue
            row.set_failed(
                WorkerLost(f"{attempts} workers died while running this task; given up after the last lease ran out")
            )
            logger.error("Task %s (%s) lost %d workers; marked failed", row.pk, row.task_path, attempts)
            counts["failed"] += 1
            handler = _handler_for(row.task_path)
            if handler is not None:
                try:
                    with transaction.atomic():
                        handler(**row.args_kwargs.get("kwargs", {}))
                except Exception:
                    logger.exception("The given-up handler of %s failed for task %s", row.task_path, row.pk)
    TaskWorker.objects.filter(heartbeat_at__lt=now - lease() * WORKER_ROWS_KEPT).delete()
    TaskEffect.objects.filter(done_at__lt=now - timedelta(days=EFFECT_DAYS)).delete()
    return counts


# --- Effects done once ----------------------------------------------------------------------

_current_task: ContextVar[str | None] = ContextVar("current_task", default=None)


@contextmanager
def running_task(task_id) -> Iterator[None]:
    """Mark the code inside as a run of the enqueued task ``task_id`` (the worker wraps every task in it)."""
    token = _current_task.set(str(task_id))
    try:
        yield
    finally:
        _current_task.reset(token)


def _effect_key(parts) -> str | None:
    task_id = _current_task.get()
    if task_id is None:
        return None  # not run by a worker (the immediate backend, a direct call): nothing to repeat
    return ":".join(str(part) for part in (task_id, *parts))[:200]


@contextmanager
def effect_once(*parts) -> Iterator[bool]:
    """A transaction for a database effect of the running task; yields False when a lost run already did it.

    The marker (task id + ``parts``) commits or rolls back with the effect::

        with effect_once("notify", user.pk) as first:
            if first:
                notification_send(...)
    """
    key = _effect_key(parts)
    with transaction.atomic():
        if key is not None:
            try:
                with transaction.atomic():
                    TaskEffect.objects.create(key=key)
            except IntegrityError:
                yield False
                return
        yield True


@contextmanager
def outside_effect_once(*parts) -> Iterator[bool]:
    """For an effect outside the database (an e-mail): yields False when a lost run of the task did it.

    The marker is written right after the body finishes without an error; only a crash in that
    instant can still repeat the effect once.
    """
    key = _effect_key(parts)
    if key is not None and TaskEffect.objects.filter(key=key).exists():
        yield False
        return
    yield True
    if key is not None:
        TaskEffect.objects.get_or_create(key=key)

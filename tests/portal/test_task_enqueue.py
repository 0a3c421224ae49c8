"""An enqueue is part of the change: on the database queue it commits or rolls back with it."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from consent.dsar import services as dsar
from consent.dsar.models import DataExport, ExportStatus
from consent.dsar.tasks import build_export
from portal import events
from portal.management.commands.run_worker import LeasedWorker

QUEUES = ["default", "email", "crm", "privacy"]
BUILD_EXPORT = "consent.dsar.tasks.build_export"


@pytest.fixture
def database_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    settings.VAR_DIR = tmp_path


@pytest.fixture
def on_commit_never_runs(monkeypatch):
    """The process dies right after the commit: no on-commit callback of this change ever runs."""
    dropped = []
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: dropped.append(func))
    return dropped


def _worker() -> LeasedWorker:
    return LeasedWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="after-the-crash",
        excluded_queue_names=[],
    )


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_commit_and_callbacks_loses_no_task(database_tasks, customer, on_commit_never_runs):
    """The export's task row committed with the export; a worker started afterwards builds it."""
    with transaction.atomic():
        export = dsar.export_request(user=customer)

    assert not any(getattr(func, "func", None) == build_export.enqueue for func in on_commit_never_runs)
    row = DBTaskResult.objects.get(task_path=BUILD_EXPORT)
    assert row.status == TaskResultStatus.READY
    assert row.args_kwargs == {"args": [], "kwargs": {"export_id": str(export.pk)}}

    _worker().run()

    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_task(database_tasks, customer):
    """The task row goes with the rolled-back export: nothing for a worker to find."""
    with pytest.raises(RuntimeError), transaction.atomic():
        dsar.export_request(user=customer)
        assert DBTaskResult.objects.filter(task_path=BUILD_EXPORT).count() == 1  # written inside the transaction
        raise RuntimeError("the request failed after the export was queued")

    assert not DataExport.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_database_queue_is_written_at_once_inside_the_transaction(
    database_tasks, customer, django_capture_on_commit_callbacks
):
    """No on-commit callback is involved: the row exists before the transaction ends."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        export = dsar.export_request(user=customer)
        assert DBTaskResult.objects.filter(
            task_path=BUILD_EXPORT, args_kwargs__kwargs__export_id=str(export.pk)
        ).exists()
    assert callbacks == []


@pytest.mark.django_db
def test_the_immediate_backend_still_waits_for_the_commit(
    customer, django_capture_on_commit_callbacks, tmp_path, settings
):
    """The immediate backend runs the task on the spot, so it is enqueued only once the change committed."""
    settings.VAR_DIR = tmp_path
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks.backends.immediate.ImmediateBackend"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = dsar.export_request(user=customer)
    export.refresh_from_db()
    assert export.status == ExportStatus.PENDING
    assert len(callbacks) == 1
    callbacks[0]()
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert not DBTaskResult.objects.exists()


def test_only_a_queue_in_the_default_database_counts_as_atomic(settings):
    """The database backend qualifies; the immediate and dummy backends fall back to on_commit."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    assert events._queue_in_this_database(build_export) is True
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": QUEUES}}
    assert events._queue_in_this_database(build_export) is False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": QUEUES}}
    assert events._queue_in_this_database(build_export) is False

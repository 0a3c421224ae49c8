"""A task whose worker dies is run again (or failed visibly), and a re-run repeats no effect."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from community import services as community
from community.models import Forum, ModerationSettings
from community.tasks import post_published
from consent.dsar import services as dsar
from consent.dsar.export import exports_dir
from consent.dsar.models import ExportStatus
from portal import schedule, task_leases
from portal.management.commands.run_worker import LeasedWorker
from portal.models import Notification, TaskEffect, TaskWorker
from portal.tasks import recover_lost_tasks

QUEUES = ["default", "email", "crm", "privacy"]


@pytest.fixture
def database_tasks(settings, tmp_path):
    """Tasks go to the database queue, as in production; exports land in a fresh directory."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    settings.VAR_DIR = tmp_path
    settings.TASK_LEASE_SECONDS = 60
    settings.TASK_MAX_ATTEMPTS = 3


def _claim(row: DBTaskResult, worker_id: str, *, ago: timedelta) -> None:
    """What ``db_worker`` does when it takes a task, ``ago`` in the past."""
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - ago)


def _worker(worker_id: str, *, silent_for: timedelta) -> None:
    TaskWorker.objects.create(worker_id=worker_id, heartbeat_at=timezone.now() - silent_for)


def _export_task(export) -> DBTaskResult:
    return DBTaskResult.objects.get(
        task_path="consent.dsar.tasks.build_export", args_kwargs__kwargs__export_id=str(export.pk)
    )


@pytest.mark.django_db
def test_a_task_whose_worker_went_silent_is_queued_again(database_tasks, customer, caplog):
    """RUNNING with a heartbeat older than the lease: back to READY, the dead worker kept in its history."""
    export = dsar.export_request(user=customer)
    row = _export_task(export)
    _claim(row, "dead-worker", ago=timedelta(minutes=5))
    _worker("dead-worker", silent_for=timedelta(minutes=2))

    with caplog.at_level(logging.WARNING, logger="portal.task_leases"):
        assert task_leases.recover_lost_tasks() == {"requeued": 1, "failed": 0}

    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert row.started_at is None
    assert row.worker_ids == ["dead-worker"]
    assert "lost its worker dead-worker; queued again (attempt 2 of 3)" in caplog.text
    assert DBTaskResult.objects.ready().filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_a_task_without_any_worker_row_is_queued_again(database_tasks, customer):
    """A worker that died before its first heartbeat was stored (or whose row is gone) counts as dead."""
    row = _export_task(dsar.export_request(user=customer))
    _claim(row, "never-seen", ago=timedelta(minutes=5))

    assert task_leases.recover_lost_tasks() == {"requeued": 1, "failed": 0}
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY


@pytest.mark.django_db
def test_a_live_workers_long_task_and_a_fresh_claim_are_left_alone(database_tasks, customer, other_customer):
    """A long task whose worker still beats, and a task claimed within the lease, stay RUNNING."""
    long_running = _export_task(dsar.export_request(user=customer))
    _claim(long_running, "busy-worker", ago=timedelta(minutes=30))
    _worker("busy-worker", silent_for=timedelta(seconds=10))
    fresh = _export_task(dsar.export_request(user=other_customer))
    _claim(fresh, "new-worker", ago=timedelta(seconds=5))

    assert task_leases.recover_lost_tasks() == {"requeued": 0, "failed": 0}
    long_running.refresh_from_db()
    fresh.refresh_from_db()
    assert (long_running.status, fresh.status) == (TaskResultStatus.RUNNING, TaskResultStatus.RUNNING)


@pytest.mark.django_db
def test_after_the_last_attempt_the_task_fails_and_the_member_sees_it(database_tasks, customer, client, caplog):
    """Three dead workers: the task is FAILED (WorkerLost), logged, and the export says failed, not "being prepared"."""
    export = dsar.export_request(user=customer)
    row = _export_task(export)
    DBTaskResult.objects.filter(pk=row.pk).update(worker_ids=["w1", "w2"])
    row.refresh_from_db()
    _claim(row, "w3", ago=timedelta(minutes=5))
    (exports_dir() / f"{export.pk}.0123.part").write_bytes(b"half a zip")

    with caplog.at_level(logging.ERROR, logger="portal.task_leases"):
        assert task_leases.recover_lost_tasks() == {"requeued": 0, "failed": 1}

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "portal.task_leases.WorkerLost"
    assert row.worker_ids == ["w1", "w2", "w3"]
    assert f"Task {row.pk} (consent.dsar.tasks.build_export) lost 3 workers; marked failed" in caplog.text
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert list(exports_dir().iterdir()) == []
    client.force_login(customer)
    page = client.get(reverse("consent:dsar:mine")).content.decode()
    assert "being prepared" not in page
    assert "Please prepare a new export with the button above." in page


@pytest.mark.django_db
def test_the_recovery_runs_every_minute_from_the_scheduler():
    """The scheduler enqueues the recovery job each minute."""
    jobs = {job.name: job for job in schedule.jobs()}
    assert jobs["portal.task_recovery"].every == timedelta(minutes=1)
    assert jobs["portal.task_recovery"].task is recover_lost_tasks


@pytest.mark.django_db
def test_recovery_forgets_long_dead_workers_and_old_effect_markers(database_tasks):
    """Rows of workers silent for ten leases, and effect markers older than 30 days, are removed."""
    _worker("gone", silent_for=timedelta(minutes=11))
    _worker("recent", silent_for=timedelta(minutes=9))
    TaskEffect.objects.create(key="old", done_at=timezone.now() - timedelta(days=31))
    TaskEffect.objects.create(key="new", done_at=timezone.now() - timedelta(days=29))

    task_leases.recover_lost_tasks()

    assert list(TaskWorker.objects.values_list("worker_id", flat=True)) == ["recent"]
    assert list(TaskEffect.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_while_it_runs_and_removes_its_row_when_it_stops(database_tasks, customer):
    """``run_worker`` stores a heartbeat before its first claim, runs the export, and leaves no row behind."""
    export = dsar.export_request(user=customer)
    worker = LeasedWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="probe-worker",
        excluded_queue_names=[],
    )
    seen = []
    original = worker.run_task

    def run_task(db_task_result):
        seen.append(list(TaskWorker.objects.values_list("worker_id", flat=True)))
        original(db_task_result)

    worker.run_task = run_task
    worker.run()

    assert seen[0] == ["probe-worker"]  # the export; then the mail telling the member it is ready
    assert not TaskWorker.objects.exists()
    row = _export_task(export)
    assert (row.status, row.worker_ids) == (TaskResultStatus.SUCCESSFUL, ["probe-worker"])
    export.refresh_from_db()
    assert export.status == ExportStatus.READY


@pytest.mark.django_db
def test_an_export_built_twice_gives_one_file_and_one_notification(database_tasks, customer):
    """A second run (its worker was thought dead) finds the export ready: same file, no second notice."""
    export = dsar.export_request(user=customer)
    first = dsar.export_build(export_id=export.pk)
    second = dsar.export_build(export_id=export.pk)

    assert first.status == second.status == ExportStatus.READY
    assert sorted(path.name for path in exports_dir().iterdir()) == [f"{export.pk}.zip"]
    assert Notification.objects.filter(recipient=customer, kind="privacy_export").count() == 1


@pytest.mark.django_db
def test_an_export_run_that_lost_the_race_leaves_the_winners_file(database_tasks, customer, monkeypatch):
    """Two runs build at once: the one that commits second discards its own file and changes nothing."""
    export = dsar.export_request(user=customer)
    from consent.dsar.export import ExportWriter

    write = ExportWriter.write
    racing = []

    def write_while_another_run_finishes(self):
        rows = write(self)
        if not racing:
            racing.append(True)
            dsar.export_build(export_id=export.pk)  # the other worker finishes first
        return rows

    monkeypatch.setattr(ExportWriter, "write", write_while_another_run_finishes)
    dsar.export_build(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert sorted(path.name for path in exports_dir().iterdir()) == [f"{export.pk}.zip"]
    assert Notification.objects.filter(recipient=customer, kind="privacy_export").count() == 1


@pytest.mark.django_db
def test_effect_once_per_task_run_and_not_recorded_on_rollback():
    """Inside a worker's task the effect happens once per key; a rolled-back effect may happen again."""
    with task_leases.running_task("task-1"):
        with task_leases.effect_once("notify", 7) as first:
            assert first is True
        with task_leases.effect_once("notify", 7) as again:
            assert again is False
        with pytest.raises(RuntimeError), task_leases.effect_once("notify", 8) as first:
            raise RuntimeError("the effect failed")
        with task_leases.effect_once("notify", 8) as retried:
            assert retried is True
    with task_leases.running_task("task-2"), task_leases.effect_once("notify", 7) as other_task:
        assert other_task is True
    with task_leases.effect_once("notify", 7) as outside_a_worker:
        assert outside_a_worker is True
    assert sorted(TaskEffect.objects.values_list("key", flat=True)) == [
        "task-1:notify:7",
        "task-1:notify:8",
        "task-2:notify:7",
    ]


@pytest.mark.django_db
def test_outside_effect_is_recorded_only_after_it_succeeded():
    """A mail that raised is not recorded (the retry sends it); one that went out is not sent again."""
    sent = []
    with task_leases.running_task("task-9"):
        with pytest.raises(ConnectionError), task_leases.outside_effect_once("mail") as first:
            assert first is True
            raise ConnectionError("SMTP down")
        for _ in range(2):
            with task_leases.outside_effect_once("mail") as first:
                if first:
                    sent.append("mail")
    assert sent == ["mail"]


@pytest.mark.django_db
def test_a_rerun_of_a_post_task_notifies_each_member_once(customer, other_customer, django_capture_on_commit_callbacks):
    """The run whose worker died told the mentioned member; the re-run of the same task tells nobody again."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    forum = Forum.objects.create(name="Help", slug="help")
    with django_capture_on_commit_callbacks(execute=False):
        thread = community.thread_create(forum=forum, author=customer, title="Printer jams", body="It jams.")
        post = community.post_create(
            thread=thread, author=other_customer, body=f"Hello @{customer.handle}, clean the roller."
        )
    with task_leases.running_task("lost-task"):
        first = post_published.call(post_id=post.pk)
        second = post_published.call(post_id=post.pk)
    assert first == 1
    assert second == 1
    assert Notification.objects.filter(recipient=customer).count() == 1


@pytest.mark.django_db
def test_recover_tasks_command_reports_what_it_did(database_tasks, customer):
    """``manage.py recover_tasks`` runs the recovery at once and says how many tasks it re-queued or failed."""
    from io import StringIO

    from django.core.management import call_command

    row = _export_task(dsar.export_request(user=customer))
    _claim(row, "dead-worker", ago=timedelta(minutes=5))
    out = StringIO()
    call_command("recover_tasks", stdout=out)
    assert out.getvalue() == "requeued 1, failed 0\n"
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY

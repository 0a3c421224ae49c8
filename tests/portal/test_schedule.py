"""Periodic jobs: each registered job is enqueued once per interval, whatever the number of schedulers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from portal import schedule
from portal.models import ScheduledJob

pytestmark = pytest.mark.django_db

RUNS: list[str] = []


@task()
def _record_run() -> None:
    RUNS.append("ran")


@pytest.fixture
def job():
    RUNS.clear()
    saved = dict(schedule._jobs)
    schedule._jobs.clear()
    registered = schedule.register("test.job", task=_record_run, every=timedelta(hours=1))
    yield registered
    schedule._jobs.clear()
    schedule._jobs.update(saved)


def test_the_apps_register_their_periodic_work():
    """Retention, ledger checkpoints, opt-in expiry and the CRM sweep all have a schedule."""
    names = {job.name for job in schedule.jobs()}
    assert {
        "consent.checkpoint",
        "consent.expire_opt_ins",
        "crm.sweep",
        "crm.poll",
        "dsar.retention",
    } <= names
    assert {job.name: job.every for job in schedule.jobs()}["dsar.retention"] == timedelta(days=1)


def test_a_job_runs_once_per_interval(job, django_capture_on_commit_callbacks):
    """A job that never ran is due; it is due again only when its interval has passed."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert schedule.enqueue_due() == ["test.job"]
            assert schedule.enqueue_due() == []
    assert RUNS == ["ran"]
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert schedule.enqueue_due() == []
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert schedule.enqueue_due() == ["test.job"]
    assert RUNS == ["ran", "ran"]
    row = ScheduledJob.objects.get(name="test.job")
    assert (row.runs, row.last_enqueued_at) == (2, start + timedelta(hours=1))


def test_the_command_lists_and_runs_due_jobs(job, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once")
        call_command("run_scheduler", "--once")
    assert RUNS == ["ran"]
    call_command("run_scheduler", "--list")
    out = capsys.readouterr().out
    assert "enqueued test.job" in out
    assert "test.job" in out and "runs 1" in out


def test_an_unknown_job_name_is_an_error(job):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown job"):
        call_command("run_scheduler", "--once", "--job", "nope")
    assert RUNS == []
    assert not ScheduledJob.objects.exists()


def test_a_non_positive_interval_is_refused():
    with pytest.raises(ValueError, match="positive"):
        schedule.register("bad", task=_record_run, every=timedelta(0))
    assert "bad" not in {job.name for job in schedule.jobs()}

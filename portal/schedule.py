"""Periodic background work: apps register jobs, one scheduler process enqueues them when due.

django-tasks has no periodic tasks of its own. Each app registers its jobs in ``AppConfig.ready()``::

    from portal import schedule
    schedule.register("crm.sweep", task=sweep_outbox, every=timedelta(minutes=1))

``manage.py run_scheduler`` (the compose ``scheduler`` service, and ``make run``) wakes up every few
seconds and enqueues each due job on the task queue; the workers run it. The time of the last
enqueue is kept in the database under a row lock, so two schedulers never enqueue the same run
twice and a restart neither skips nor repeats a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.events import enqueue_on_commit


@dataclass(frozen=True)
class Job:
    name: str
    task: object  # a django_tasks Task taking no arguments
    every: timedelta
    description: str = ""


_jobs: dict[str, Job] = {}


def register(name: str, *, task, every: timedelta, description: str = "") -> Job:
    """Run ``task`` every ``every``; registering a name again replaces the job."""
    if every <= timedelta(0):
        raise ValueError(f"{name}: the interval must be positive")
    job = Job(name=name, task=task, every=every, description=description or (task.__doc__ or "").strip())
    _jobs[name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def next_due(job: Job, last_enqueued_at):
    return last_enqueued_at + job.every if last_enqueued_at else None


def enqueue_due(*, now=None, only: set[str] | None = None) -> list[str]:
    """Enqueue every job whose interval has passed since its last enqueue (or that never ran)."""
    from portal.models import ScheduledJob

    now = now or timezone.now()
    enqueued = []
    for job in jobs():
        if only is not None and job.name not in only:
            continue
        with transaction.atomic():
            ScheduledJob.objects.get_or_create(name=job.name)
            row = ScheduledJob.objects.select_for_update().get(name=job.name)
            due = next_due(job, row.last_enqueued_at)
            if due is not None and due > now:
                continue
            row.last_enqueued_at = now
            row.runs += 1
            row.save(update_fields=["last_enqueued_at", "runs"])
            enqueue_on_commit(job.task)
        enqueued.append(job.name)
    return enqueued


def status(*, now=None) -> list[dict]:
    """Every job with its interval, last enqueue and next due time (for the command and the back office)."""
    from portal.models import ScheduledJob

    now = now or timezone.now()
    rows = {row.name: row for row in ScheduledJob.objects.filter(name__in=list(_jobs))}
    result = []
    for job in jobs():
        row = rows.get(job.name)
        last = row.last_enqueued_at if row else None
        result.append(
            {
                "name": job.name,
                "every": job.every,
                "description": job.description,
                "last_enqueued_at": last,
                "runs": row.runs if row else 0,
                "next_due": next_due(job, last) or now,
            }
        )
    return result

"""``/healthz``: what the load balancer and operators need to know, per dependency, cheaply and without secrets.

The answer is 200 whenever the portal can serve pages, that is whenever the database answers; a
stopped Redis (cache and live updates), a worker that stopped taking tasks or a scheduler that
stopped enqueuing make it "degraded" but still 200, because pages are still served without them.
503 only when the database is down. No addresses, URLs or error messages leave the process: a
failure is named by its exception class.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Min, Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portal import schedule
from portal.cache import CacheUnavailable, outage_raises

#: A ready task waiting longer than this means no worker is taking tasks.
WORKER_GRACE = timedelta(minutes=5)
#: A periodic job overdue by more than this means the scheduler is not running.
SCHEDULER_GRACE = timedelta(minutes=5)
#: The worker's last activity is a scan of the task table; it is read at most this often per process.


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"status": "down", "error": type(error).__name__}
    return {"status": "ok"}


def check_redis() -> dict | None:
    """The Redis the cache and the channel layers use (None when the portal runs without Redis)."""
    if not settings.REDIS_URL:
        return None
    try:
        with outage_raises():
            cache.has_key("healthz")
    except CacheUnavailable as error:
        cause = error.__cause__
        return {"status": "down", "error": type(cause).__name__ if cause else "CircuitOpen"}
    return {"status": "ok"}


def check_worker(*, now) -> dict:
    """The task workers' heartbeats (``portal.TaskWorker``, renewed by ``run_worker``) and the oldest waiting task.

    ``ok``: at least one worker beat within the lease. ``late``: a task has waited past the grace period,
    or workers have been seen but none is beating now. ``unknown``: no worker was ever seen.
    """
    from portal.models import TaskWorker

    oldest = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now).aggregate(
        oldest=Min("run_after")
    )["oldest"]
    waiting = (now - oldest) if oldest else None
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    beats = TaskWorker.objects.aggregate(
        last=Max("heartbeat_at"), alive=Count("pk", filter=Q(heartbeat_at__gte=now - lease))
    )
    if (waiting is not None and waiting > WORKER_GRACE) or (beats["last"] and not beats["alive"]):
        status = "late"
    elif beats["last"] is None:
        status = "unknown"
    else:
        status = "ok"
    return {
        "status": status,
        "alive": beats["alive"],
        "last_seen": _iso(beats["last"]),
        "oldest_waiting_seconds": int(waiting.total_seconds()) if waiting else 0,
    }


def check_scheduler(*, now) -> dict:
    rows = schedule.status(now=now)
    runs = [row["last_enqueued_at"] for row in rows if row["last_enqueued_at"]]
    overdue = sorted(row["name"] for row in rows if row["last_enqueued_at"] and row["next_due"] < now - SCHEDULER_GRACE)
    if overdue:
        status = "late"
    elif not runs:
        status = "unknown"
    else:
        status = "ok"
    return {"status": status, "last_run": _iso(max(runs) if runs else None), "overdue": overdue}


def report() -> tuple[int, dict]:
    """The HTTP status and the JSON body of /healthz."""
    now = timezone.now()
    checks: dict[str, dict] = {"database": check_database()}
    redis = check_redis()
    if redis is not None:
        checks["redis"] = redis
    if checks["database"]["status"] != "ok":
        return 503, {"status": "down", "checks": checks}
    try:
        checks["worker"] = check_worker(now=now)
        checks["scheduler"] = check_scheduler(now=now)
    except DatabaseError as error:
        # The database went away between the checks: the portal cannot serve.
        checks["database"] = {"status": "down", "error": type(error).__name__}
        return 503, {"status": "down", "checks": checks}
    degraded = any(check["status"] in {"down", "late"} for check in checks.values())
    return 200, {"status": "degraded" if degraded else "ok", "checks": checks}


@never_cache
def healthz(request):
    """Liveness/readiness for load balancers and operators; open to anyone, reveals no configuration."""
    status, body = report()
    return JsonResponse(body, status=status)

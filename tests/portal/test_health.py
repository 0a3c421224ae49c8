"""/healthz: one report per dependency; 200 while pages can be served, 503 only without a database."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal import cache as portal_cache
from portal import health, schedule

pytestmark = pytest.mark.django_db

QUEUES = ["default", "email", "crm", "privacy"]


@pytest.fixture(autouse=True)
def _fresh_activity_memo():
    health._activity_memo = None
    yield
    health._activity_memo = None


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down():
    """REDIS_URL is configured, and the Redis behind it refuses connections."""
    url = f"redis://:s3cret-pass@127.0.0.1:{closed_port()}/0"
    config = {
        "default": {
            "BACKEND": "portal.cache.FailSoftRedisCache",
            "LOCATION": url,
            "OPTIONS": {"RETRY_SECONDS": 5, "socket_connect_timeout": 0.5},
        }
    }
    with override_settings(REDIS_URL=url, CACHES=config):
        yield url
    portal_cache._circuits.pop(url, None)


def test_healthy_portal_without_redis_reports_each_dependency(client, settings):
    """No REDIS_URL: database, worker and scheduler are reported, Redis is not (it is not used)."""
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "worker": {"status": "unknown", "alive": 0, "last_seen": None, "oldest_waiting_seconds": 0},
            "scheduler": {"status": "unknown", "last_run": None, "overdue": []},
        },
    }


def test_redis_down_is_degraded_but_still_200_and_names_no_secret(client, redis_down):
    """The load balancer keeps the portal in rotation: pages are served without Redis."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["redis"] == {"status": "down", "error": "ConnectionError"}
    text = response.content.decode()
    assert "s3cret-pass" not in text
    assert "127.0.0.1" not in text
    assert redis_down.rsplit(":", 1)[1].split("/")[0] not in text


def test_redis_down_again_within_the_breaker_does_not_try_to_connect(client, redis_down):
    client.get("/healthz")
    body = client.get("/healthz").json()
    assert body["checks"]["redis"] == {"status": "down", "error": "CircuitOpen"}


def test_scheduler_and_worker_heartbeats_are_reported(client, settings):
    """The last scheduler run, and the workers beating within the lease."""
    from portal.models import TaskWorker

    now = timezone.now()
    assert schedule.enqueue_due(now=now, only={"crm.sweep"}) == ["crm.sweep"]
    beat = now - timedelta(seconds=5)
    TaskWorker.objects.create(worker_id="w1", hostname="web1", pid=10, heartbeat_at=beat)
    TaskWorker.objects.create(worker_id="w0", hostname="web1", pid=9, heartbeat_at=now - timedelta(hours=2))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["scheduler"] == {"status": "ok", "last_run": now.isoformat(), "overdue": []}
    assert body["checks"]["worker"] == {
        "status": "ok",
        "alive": 1,
        "last_seen": beat.isoformat(),
        "oldest_waiting_seconds": 0,
    }
    TaskWorker.objects.filter(worker_id="w1").update(
        heartbeat_at=now - timedelta(seconds=settings.TASK_LEASE_SECONDS + 5)
    )
    body = client.get("/healthz").json()
    assert (body["status"], body["checks"]["worker"]["status"], body["checks"]["worker"]["alive"]) == (
        "degraded",
        "late",
        0,
    )


def test_a_task_nobody_takes_and_an_overdue_job_make_it_degraded(client, settings):
    """A worker that takes no tasks and a scheduler that stopped are reported as late, still 200."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    now = timezone.now()
    schedule.enqueue_due(now=now - timedelta(hours=1), only={"crm.sweep"})
    job = next(job for job in schedule.jobs() if job.name == "crm.sweep")
    waiting = job.task.enqueue()
    DBTaskResult.objects.filter(id=waiting.id).update(run_after=now - timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["scheduler"]["status"] == "late"
    assert body["checks"]["scheduler"]["overdue"] == ["crm.sweep"]
    assert body["checks"]["worker"]["status"] == "late"
    assert 600 <= body["checks"]["worker"]["oldest_waiting_seconds"] < 700


def test_database_down_is_503(monkeypatch, settings):
    """Without a database the portal cannot serve: the report says so and the status is 503."""
    settings.REDIS_URL = ""
    from django.db import connection
    from django.db.utils import load_backend

    unreachable = {**connection.settings_dict, "NAME": "/nonexistent-dir/portal.sqlite3"}
    if connection.vendor != "sqlite":
        unreachable.update(HOST="127.0.0.1", PORT=str(closed_port()))
    broken = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(unreachable, alias="unreachable")
    monkeypatch.setattr(health, "connection", broken)
    try:
        status, body = health.report()
    finally:
        if hasattr(broken, "close_pool"):  # PostgreSQL's pool would go on retrying in the background
            broken.close_pool()
    assert status == 503
    assert body == {"status": "down", "checks": {"database": {"status": "down", "error": "OperationalError"}}}

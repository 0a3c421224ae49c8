"""The PostgreSQL connection pool holds a web process to its maximum, however many request threads run.

Before pooling, each of Daphne's request threads kept its own connection (CONN_MAX_AGE > 0) and
PostgreSQL ran out of connections. Pooling is a PostgreSQL feature of Django (psycopg_pool), so
this test needs PostgreSQL; on SQLite there is no server-side connection to count.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from community.models import Forum

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="connection pooling is a PostgreSQL feature (run with DATABASE_URL)"
)

THREADS = 50
REQUESTS_PER_THREAD = 4
POOL_MAX = 4


def test_pool_is_configured_from_the_settings_and_conn_max_age_is_zero():
    options = settings.DATABASES["default"]["OPTIONS"]["pool"]
    assert options == {
        "min_size": settings.DATABASE_POOL_MIN_SIZE,
        "max_size": settings.DATABASE_POOL_MAX_SIZE,
        "timeout": settings.DATABASE_POOL_TIMEOUT,
    }
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


@pytest.fixture
def small_pool():
    """The configured pool, shrunk so that 50 threads must share it; restored afterwards."""
    pool = connection.settings_dict["OPTIONS"]["pool"]
    saved = dict(pool)
    connections.close_all()
    connection.close_pool()
    pool.update(min_size=1, max_size=POOL_MAX, timeout=30)
    yield POOL_MAX
    connections.close_all()
    connection.close_pool()
    pool.clear()
    pool.update(saved)


class _Watcher(threading.Thread):
    """Counts the test database's client connections from outside Django until stopped."""

    def __init__(self, dbname: str, params: dict):
        super().__init__(daemon=True)
        self.dbname = dbname
        self.params = params
        self.peak = 0
        self.samples = 0
        self.stop = threading.Event()

    def run(self):
        with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as watcher:
            while not self.stop.is_set():
                (count,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                    [self.dbname],
                ).fetchone()
                self.peak = max(self.peak, count)
                self.samples += 1


@pytest.mark.django_db(transaction=True)
def test_fifty_request_threads_never_hold_more_than_the_pool_maximum(small_pool, home_page):
    Forum.objects.create(name="General", slug="general")
    connections.close_all()  # the test's own connection goes back to the pool too
    params = {
        key: value
        for key, value in {
            "host": connection.settings_dict["HOST"],
            "port": connection.settings_dict["PORT"],
            "user": connection.settings_dict["USER"],
            "password": connection.settings_dict["PASSWORD"],
        }.items()
        if value
    }
    watcher = _Watcher(connection.settings_dict["NAME"], params)
    watcher.start()
    start = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def member_session():
        client = Client()
        try:
            start.wait()
            for _ in range(REQUESTS_PER_THREAD):
                statuses.append(client.get("/forums/").status_code)
                # What Django's request_finished does after each request outside the test client:
                # the connection goes back to the pool.
                connections.close_all()
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=member_session) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=50)
    watcher.stop.set()
    watcher.join(timeout=5)

    assert errors == []
    assert statuses == [200] * (THREADS * REQUESTS_PER_THREAD)
    assert watcher.samples > 0
    assert 1 <= watcher.peak <= small_pool

"""A worker killed mid-task loses nothing and repeats nothing: real worker processes, SIGKILL, recovery.

Two ``run_worker`` processes on one SQLite file take an export build and a CRM delivery; both are
killed while the tasks are RUNNING (the export's ZIP written but not yet published, the CRM request
sent but not yet answered). After the lease the scheduler enqueues the recovery job and the CRM
sweep, a fresh worker runs them and finishes both tasks, and there is exactly one export file and
one CRM task.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from consent.dsar.models import DataExport
from crm.models import OutboxMessage
from portal.models import Notification
from tests.integration.conftest import var_copy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2

SETUP = """
import json
from crm import services as crm
from crm.models import ActionType, AssigneeStrategy, ConnectionKind, CrmConnection, Priority, TagRule
from crm.signing import new_secret
from consent.dsar import services as dsar
from portal.roles import Role
from tests.factories import make_member

member = make_member(role=Role.CUSTOMER, email="kill@example.com")
connection = crm.connection_save(
    connection=CrmConnection(name="Kill CRM", kind=ConnectionKind.WEBHOOK, url="{url}/hook"),
    secrets={{"signing_secret": new_secret()}},
)
rule = TagRule.objects.create(
    tag="lead", action_type=ActionType.LEAD, priority=Priority.HIGH, due_in_days=2,
    assignee_strategy=AssigneeStrategy.CLAIM, connection=connection,
)
card = crm.card_create(
    rule=rule, source_type="forum_thread", source_id=1, source_url="https://example.com/t/1/",
    reply_url="https://example.com/t/1/#reply", title="Quote please", text="We want to buy.", product="Acme",
    member=member, automatic=False,
)
export = dsar.export_request(user=member)
print(json.dumps({{"card_key": str(card.key), "export_id": str(export.pk), "user_id": member.pk}}))
"""


class Crm:
    """A webhook CRM on loopback: one task per ``webhook-id``; the first request is left hanging."""

    def __init__(self):
        self.arrivals: list[str] = []
        self.tasks: dict[str, bytes] = {}
        self.release = threading.Event()
        crm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                key = self.headers["webhook-id"]
                crm.arrivals.append(key)
                if len(crm.arrivals) == 1:
                    crm.release.wait(30)  # the worker dies while it waits for this answer
                crm.tasks.setdefault(key, body)
                data = json.dumps({"id": f"task-{key[:8]}", "url": f"https://crm.example.com/{key}"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm():
    server = Crm()
    yield server
    server.stop()


@pytest.fixture
def site(var_templates):
    tmp = var_copy(var_templates["migrated"], "portal-worker-kill-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integration.worker_kill_settings",
        "PORTAL_VAR_DIR": str(tmp),
        "TASK_LEASE_SECONDS": str(LEASE_SECONDS),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    processes: list[subprocess.Popen] = []
    yield {"tmp": tmp, "env": env, "processes": processes}
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _manage(site, *args: str, **extra_env: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**site["env"], **extra_env},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _worker(site, name: str, *queues: str, **extra_env: str) -> subprocess.Popen:
    log = open(site["tmp"] / f"{name}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--queue-name",
            ",".join(queues),
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
            "--worker-id",
            name,
        ],
        cwd=ROOT,
        env={**site["env"], **extra_env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    site["processes"].append(process)
    return process


def _query(site, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(site["tmp"] / "portal.sqlite3", timeout=20) as db:
        return db.execute(sql, params).fetchall()


def _wait(what: str, condition: Callable[[], bool], site, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(f"--- {path.name}\n{path.read_text()}" for path in sorted(site["tmp"].glob("*.log")))
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def test_a_killed_worker_leaves_exactly_one_export_and_one_crm_task(site, crm):
    """SIGKILL mid-export and mid-delivery; after the lease and recovery a new worker finishes both, once."""
    tasks, exports, outbox = DBTaskResult._meta.db_table, DataExport._meta.db_table, OutboxMessage._meta.db_table
    made = json.loads(_manage(site, "shell", "-c", SETUP.format(url=crm.url)).strip().splitlines()[-1])
    queued = _query(site, f"SELECT task_path, status FROM {tasks} ORDER BY task_path")  # noqa: S608
    assert queued == [
        ("consent.dsar.tasks.build_export", "READY"),
        ("crm.tasks.deliver_outbox_message", "READY"),
    ]

    doomed = [
        _worker(site, "crm-worker-1", "crm", CRM_HTTP_TIMEOUT="40"),  # still waiting when it is killed
        _worker(site, "privacy-worker-1", "privacy", SLOW_EXPORT_SECONDS="60"),
    ]
    _wait("the CRM request", lambda: len(crm.arrivals) == 1, site)
    _wait("the export's ZIP on disk", lambda: (site["tmp"] / "export-written").exists(), site)
    for process in doomed:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    running = _query(site, f"SELECT task_path, status, worker_ids FROM {tasks} ORDER BY task_path")  # noqa: S608
    assert running == [
        ("consent.dsar.tasks.build_export", "RUNNING", '["privacy-worker-1"]'),
        ("crm.tasks.deliver_outbox_message", "RUNNING", '["crm-worker-1"]'),
    ]
    exports_dir = site["tmp"] / "exports"
    assert [path.suffix for path in exports_dir.iterdir()] == [".part"]
    assert _query(site, f"SELECT status FROM {exports} WHERE id = ?", made["export_id"].replace("-", "")) == [
        ("pending",)
    ]

    _worker(site, "worker-2", "*")  # finds nothing to do: both tasks still look RUNNING
    time.sleep(LEASE_SECONDS + 1)  # the lease (task and CRM row alike) runs out
    _manage(site, "run_scheduler", "--once", "--job", "portal.task_recovery", "--job", "crm.sweep")
    _wait(
        "the export and the CRM row to finish",
        lambda: (
            _query(site, f"SELECT status FROM {exports}")[0][0] == "ready"  # noqa: S608
            and _query(site, f"SELECT state FROM {outbox}")[0][0] == "sent"  # noqa: S608
        ),
        site,
    )
    crm.release.set()

    assert sorted(path.name for path in exports_dir.iterdir()) == [f"{made['export_id']}.zip"]
    notices = _query(
        site,
        f"SELECT COUNT(*) FROM {Notification._meta.db_table} WHERE recipient_id = ? AND kind = ?",  # noqa: S608
        made["user_id"],
        "privacy_export",
    )
    assert notices == [(1,)]
    assert list(crm.tasks) == [made["card_key"]]
    assert set(crm.arrivals) == {made["card_key"]}
    assert _query(site, f"SELECT attempts FROM {outbox}") == [(2,)]  # noqa: S608
    build = _query(
        site,
        f"SELECT status, worker_ids FROM {tasks} WHERE task_path = ?",  # noqa: S608
        "consent.dsar.tasks.build_export",
    )
    assert build == [("SUCCESSFUL", '["privacy-worker-1", "worker-2"]')]
    recovery = _query(
        site,
        f"SELECT status, return_value FROM {tasks} WHERE task_path = ?",  # noqa: S608
        "portal.tasks.recover_lost_tasks",
    )
    assert recovery == [("SUCCESSFUL", '{"requeued": 2, "failed": 0}')]

"""Scaling out: two web processes, two workers and one scheduler on one PostgreSQL and one Redis.

What the README's "Scaling out" section promises is shown with real processes on loopback: a member on web
process A and an agent on web process B chat live; a reply posted through A appears live on a thread page
socket served by B and in B's next page render (the fragment cache lives in Redis, so both agree); a burst of
200 CRM cards is delivered exactly once while both workers share the queue; each scheduled job is enqueued
once per period although two schedulers run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from tests.integration.conftest import daphne_start, var_copy
from tests.integration.test_chat_daphne import _login, _socket, _start_chat, _until
from tests.smtp import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("SCALE_OUT_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "portal_scale_out"
CARDS = 200

BURST = """
import json
from crm import services as crm
from crm.models import TagRule
from portal.models import User

rule = TagRule.objects.get(tag="lead")
member = User.objects.with_email("customer2@example.com").get()
keys = []
for n in range({count}):
    card = crm.card_create(
        rule=rule, source_type="forum_thread", source_id=10_000 + n, source_url=f"https://example.com/t/{{n}}/",
        reply_url=f"https://example.com/t/{{n}}/#reply", title=f"Burst card {{n}}", text="Scale-out burst.",
        product="Acme", member=member, automatic=False,
    )
    keys.append(str(card.key))
print(json.dumps(keys))
"""

PUBLIC_THREAD = """
from community.models import Thread
print(Thread.objects.filter(forum__is_private=False, is_private=False, is_held=False, state="open").order_by("pk").values_list("pk", flat=True)[0])
"""

STATE = """
import json
from django_tasks_db.models import DBTaskResult
from crm.models import DemoReceipt, OutboxMessage
from portal.models import ScheduledJob

delivery = DBTaskResult.objects.filter(task_path="crm.tasks.deliver_outbox_message")
receipts = DemoReceipt.objects.filter(card__title__startswith="Burst card")
print(json.dumps({{
    "receipts": list(receipts.values_list("card__title", flat=True)),
    "deliveries": sorted(set(receipts.values_list("deliveries", flat=True))),
    "undelivered": OutboxMessage.objects.exclude(state="sent").count(),
    "delivery_workers": sorted({{w for ids in delivery.values_list("worker_ids", flat=True) for w in ids}}),
    "jobs": {{job.name: job.runs for job in ScheduledJob.objects.all()}},
    "job_tasks": {{path: DBTaskResult.objects.filter(task_path=path).count() for path in {paths!r}}},
}}))
"""


def _redis_url() -> str:
    """A Redis database of its own, next to the one the other integration tests use."""
    base = urlsplit(os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/6"))
    db = int((base.path or "/6").strip("/") or 6) + 1
    return urlunsplit((base.scheme, base.netloc, f"/{db}", "", ""))


class Cluster:
    """The processes of one scaled-out portal and the environment they share."""

    def __init__(self, var: Path):
        self.var = var
        self.processes: list[subprocess.Popen] = []
        self.port_a, self.port_b = free_port(), free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.development",
            "PORTAL_VAR_DIR": str(var),
            "DATABASE_URL": urlunsplit((*urlsplit(PG_ADMIN)[:2], f"/{DATABASE}", "", "")),
            "REDIS_URL": _redis_url(),
            "PORTAL_BASE_URL": f"http://127.0.0.1:{self.port_a}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "STAFF_2FA_REQUIRED": "0",
            "CRM_DRAIN_MAX_ROWS": "5",  # small drains so the burst spreads over both workers
        }

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def shell(self, code: str) -> dict | list:
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def spawn(self, name: str, *args: str) -> None:
        log = open(self.var / f"{name}.log", "w")  # noqa: SIM115  (closed with the process)
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        )

    def start(self) -> None:
        self.started = time.monotonic()
        for port, name in ((self.port_a, "web-a"), (self.port_b, "web-b")):
            process, _ = daphne_start(env=self.env, port=port, log_path=self.var / f"{name}.log")
            self.processes.append(process)
        for name in ("worker-1", "worker-2"):
            self.spawn(name, "run_worker", "--queue-name", "*", "--interval", "0.2", "--no-startup-delay")
        # Two schedulers: the row lock in portal.schedule must still enqueue each run once.
        for name in ("scheduler-1", "scheduler-2"):
            self.spawn(name, "run_scheduler")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def server(self, port: int) -> dict:
        return {"url": f"http://127.0.0.1:{port}", "ws": f"ws://127.0.0.1:{port}"}


@pytest.fixture(scope="module")
def cluster(var_templates):
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    redis.Redis.from_url(_redis_url()).flushdb()
    cluster = Cluster(var_copy(var_templates["migrated"], "portal-scale-out-"))
    cluster.manage("migrate", "--no-input", "-v", "0")
    cluster.manage("seed_demo")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def test_a_member_on_one_web_process_and_an_agent_on_the_other_chat_live(cluster):
    """The customer talks to web A, the moderator to web B; the Redis channel layer carries both ways."""
    a, b = cluster.server(cluster.port_a), cluster.server(cluster.port_b)
    customer = _login(a["url"], "customer@example.com", "customer-demo-2026")
    moderator = _login(b["url"], "moderator@example.com", "moderator-demo-2026")
    chat_id = _start_chat(customer, "Scale-out", "Hello from web process A")

    async def scenario():
        async with _socket(b, "/ws/chat/console/", moderator) as console:
            snapshot = json.loads(await asyncio.wait_for(console.recv(), timeout=10))
            assert chat_id in [row["id"] for row in snapshot["waiting"]]
        async with (
            _socket(a, f"/ws/chat/{chat_id}/", customer) as member,
            _socket(b, f"/ws/chat/{chat_id}/", moderator) as staff,
        ):
            await member.recv()
            await staff.recv()
            await staff.send(json.dumps({"type": "take"}))
            assert (await _until(member, "state"))[-1]["status"] == "active"
            await member.send(json.dumps({"type": "message", "body": "From A", "client_id": "a-1"}))
            to_staff = [f for f in await _until(staff, "message") if f["type"] == "message"]
            while to_staff[-1]["message"]["html"] != "<p>From A</p>":
                to_staff = [f for f in await _until(staff, "message") if f["type"] == "message"]
            await staff.send(json.dumps({"type": "message", "body": "From B", "client_id": "b-1"}))
            to_member = [f for f in await _until(member, "message") if f["type"] == "message"]
            while to_member[-1]["message"]["html"] != "<p>From B</p>":
                to_member = [f for f in await _until(member, "message") if f["type"] == "message"]
            return to_staff[-1]["message"]["html"], to_member[-1]["message"]["html"]

    assert asyncio.run(scenario()) == ("<p>From A</p>", "<p>From B</p>")


def test_a_reply_through_a_appears_live_and_rendered_on_b(cluster):
    """B's thread socket receives the reply posted through A, and B's next render (fragment cache) shows it."""
    a, b = cluster.server(cluster.port_a), cluster.server(cluster.port_b)
    writer = _login(a["url"], "customer@example.com", "customer-demo-2026")
    reader = _login(b["url"], "customer2@example.com", "customer2-demo-2026")
    thread_id = cluster.shell(PUBLIC_THREAD)
    path = f"/forums/t/{thread_id}/"
    before = reader.get(path)  # warms the fragment cache through B
    assert before.status_code == 200
    body = f"Scale-out reply {time.time_ns()}"

    async def scenario():
        async with _socket(b, f"/ws/forums/threads/{thread_id}/", reader) as socket:
            page = writer.get(path + "reply/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            response = await asyncio.to_thread(
                writer.post, path + "reply/", data={"csrfmiddlewaretoken": token, "body": body}
            )
            assert response.status_code == 302, response.text[:500]
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            return frame

    frame = asyncio.run(scenario())
    assert frame["type"] == "post" and set(frame) == {"type", "post_id"}
    # The page fetches the post rendered for its own viewer, here through B.
    assert body in reader.get(f"/forums/p/{frame['post_id']}/fragment/").json()["html"]
    assert body not in before.text
    assert body in reader.get(path).text


def test_a_burst_of_cards_is_delivered_exactly_once_by_both_workers(cluster):
    """200 cards at once: 200 receipts at the demo CRM, none twice, none left, both workers took part."""
    keys = cluster.shell(BURST.format(count=CARDS))
    assert len(set(keys)) == CARDS
    paths = ["crm.tasks.sweep_outbox"]
    deadline = time.monotonic() + 120
    while True:
        state = cluster.shell(STATE.format(paths=paths))
        if len(state["receipts"]) >= CARDS and state["undelivered"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(state["receipts"]) == CARDS
    assert sorted(state["receipts"]) == sorted(f"Burst card {n}" for n in range(CARDS))
    assert state["deliveries"] == [1]
    assert state["undelivered"] == 0
    assert len(state["delivery_workers"]) == 2


def test_two_schedulers_enqueue_each_job_once_per_period(cluster):
    """Two schedulers run side by side: each job is enqueued once per period, never once per scheduler."""
    from portal import schedule

    jobs = schedule.jobs()
    paths = sorted({job.task.module_path for job in jobs})
    state = cluster.shell(STATE.format(paths=paths))
    elapsed = time.monotonic() - cluster.started
    assert set(state["jobs"]) == {job.name for job in jobs}
    for job in jobs:
        periods = int(elapsed // job.every.total_seconds()) + 1
        assert 1 <= state["jobs"][job.name] <= periods, (job.name, state["jobs"][job.name], periods)
    for path in paths:
        runs = sum(state["jobs"][job.name] for job in jobs if job.task.module_path == path)
        assert state["job_tasks"][path] == runs, path


def test_sixty_four_clients_at_once_on_one_web_process_get_every_page(cluster):
    """64 clients hit web process A at the same moment, three pages each, on PostgreSQL with the pool.

    Every response is a 200, A's log says nothing of running out of connections, and PostgreSQL never
    sees more client connections than the six processes' pools together allow (before pooling, Daphne
    kept a connection per request thread and PostgreSQL refused new clients).
    """
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    url = cluster.server(cluster.port_a)["url"]
    paths = ["/forums/", f"/forums/t/{cluster.shell(PUBLIC_THREAD)}/", "/ideas/"]
    clients = 64
    start = threading.Barrier(clients)
    peak = {"connections": 0}
    stop = threading.Event()

    def watch():
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            while not stop.is_set():
                (count,) = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                    [DATABASE],
                ).fetchone()
                peak["connections"] = max(peak["connections"], count)
                time.sleep(0.01)

    def client(_n: int) -> list[int]:
        start.wait(timeout=60)
        statuses = []
        for path in paths:
            with urllib.request.urlopen(url + path, timeout=60) as response:
                statuses.append(response.status)
        return statuses

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(clients) as pool:
            statuses = [status for result in pool.map(client, range(clients)) for status in result]
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert statuses == [200] * (clients * len(paths))
    log = (cluster.var / "web-a.log").read_text()
    assert "too many clients" not in log and "PoolTimeout" not in log and "Traceback" not in log
    pool_max = int(cluster.env.get("DATABASE_POOL_MAX_SIZE", "10"))
    assert 0 < peak["connections"] <= 6 * pool_max

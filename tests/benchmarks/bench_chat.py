"""Chat fan-out: one Daphne process with the Redis layer, N WebSocket clients in a separate process.

Measurement (honest version of "fan-out"): one chat; a member socket sends messages at a paced
rate; N moderator sockets look into the same chat (the chat's broadcast group), so every message
is delivered N times. Each message goes the full production path: frame -> authorisation ->
service (SQLite write, seq number) -> commit -> group_send through Redis -> N consumers -> N frames.
Latency is measured in the client process from the member's send to each observer's receive
(one clock). Steps at 100, 250 and 500 connected clients offer 2,000 deliveries/s for a few
seconds each; then, at 500 clients and only if that step kept up, the offered rate climbs until the
process falls behind.
After the ramp, the observers grow to 1,000 and a step offers 5,000 deliveries/s (``c1000``). Then a
second Daphne process joins on the same database and Redis: 1,000 observers split evenly across the two
processes, the member on the first, 5,000 deliveries/s (``two_process``): every delivery to the second
process's sockets crosses Redis, and none may be lost.
``saturation_per_s`` is the highest delivery rate any step achieved: a step that keeps up delivers
what is offered, one that falls behind delivers what the process can. "Lost" means never delivered
by the end of the run (after a final drain); late deliveries count in the latency. The chat's
group messages travel over the ``chat`` channel layer (Redis pub/sub) that portal.settings.base
configures when REDIS_URL is set.

The Daphne process runs with the per-member and per-connection flood limits lifted (a settings
module written to a temporary folder), because one member sending 20 messages/s is exactly what
those limits refuse, and with persistent database connections (DATABASE_CONN_MAX_AGE=600, a
setting portal.settings.base reads from the environment); everything else is ``portal.settings.development``.
Clients and server share the machine's cores, so the client's own JSON parsing is part of the
measured latency.

Diagnostics: ``BENCH_CHAT_DEBUG=1`` writes each message's first, median and last delivery time to
var/bench/chat_messages.txt (a late message vs. a long fan-out tail); ``BENCH_CHAT_EXTRA`` appends
lines to the server's settings module (e.g. to start a profiler in the Daphne process).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPS = (100, 250, 500)
TARGET_PER_S = 2000
LARGE_CLIENTS = 1000
LARGE_PER_S = 5000
STEP_SECONDS = 3.0
RAMP = (2500, 3500, 5000, 7000)
RAMP_SECONDS = 3.0
DRAIN_SECONDS = 4.0
FINAL_DRAIN_SECONDS = 5.0


# --- server side (runs inside tests/benchmarks/run.py) ----------------------------------------


def _seed() -> dict:
    from django.test import Client

    from community.chat import services
    from community.chat.models import Chat
    from portal.models import User
    from portal.roles import Role
    from tests.factories import make_member

    member = User.objects.with_email("bench-chat-member@example.com").first() or make_member(
        role=Role.CUSTOMER, email="bench-chat-member@example.com"
    )
    Chat.objects.filter(member=member).delete()  # the topic is encrypted: the bench member's chats are these
    moderator = User.objects.with_email("bench-chat-moderator@example.com").first() or make_member(
        role=Role.MODERATOR, email="bench-chat-moderator@example.com"
    )
    chat = services.chat_start(member=member, topic="Fan-out benchmark", body="start")
    services.chat_take(chat=chat, moderator=moderator)
    cookies = {}
    for name, user in (("member", member), ("observer", moderator)):
        client = Client()
        client.force_login(user)
        cookies[name] = client.cookies["sessionid"].value
    return {"chat_id": chat.pk, "cookies": cookies}


def _free_port() -> int:
    from tests.smtp import free_port

    return free_port()


def _start_daphne(tmp: Path, port: int, *, log_name: str = "daphne.log") -> subprocess.Popen:
    (tmp / "chatbench_settings.py").write_text(
        "from portal.settings.development import *  # noqa\n"
        "CHAT_MEMBER_MESSAGES_PER_MINUTE = 10**9\n"
        "CHAT_CONNECTION_FRAMES = 10**9\n" + os.environ.get("BENCH_CHAT_EXTRA", "")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbench_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
        "REDIS_URL": os.environ.get("BENCH_CHAT_REDIS_URL", "redis://127.0.0.1:6379/10"),
        "CACHE_KEY_PREFIX": "chatbench",
        # Persistent database connections, as a production deployment sets them: with the default 0,
        # every socket frame opens a new SQLite connection (and runs its PRAGMAs) in the DB thread.
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "600"),
        "LOG_LEVEL": "ERROR",
    }
    log = open(tmp / log_name, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.serve", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError((tmp / log_name).read_text())


def run(report) -> None:
    seed = _seed()
    tmp = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    port = _free_port()
    servers = [_start_daphne(tmp, port)]
    try:
        results = _run_client({"mode": "one_process", "ports": [port], **seed})
        second = _free_port()
        servers.append(_start_daphne(tmp, second, log_name="daphne-2.log"))
        two = _run_client({"mode": "two_process", "ports": [port, second], **seed})
    finally:
        for daphne in servers:
            daphne.terminate()
            daphne.wait(timeout=10)
    lost_total = 0
    worst_p50 = worst_p99 = 0.0
    for step in results["steps"]:
        n = step["clients"]
        report(f"chat.fanout.c{n}.delivered_per_s", step["delivered_per_s"], "/s")
        report(f"chat.fanout.c{n}.p50_ms", step["p50_ms"], "ms")
        report(f"chat.fanout.c{n}.p99_ms", step["p99_ms"], "ms")
        report(f"chat.fanout.c{n}.lost", step["lost"], "msgs")
        lost_total += step["lost"]
        worst_p50 = max(worst_p50, step["p50_ms"])
        worst_p99 = max(worst_p99, step["p99_ms"])
    for step in results["ramp"]:
        report(f"chat.fanout.ramp{step['offered_per_s']}.delivered_per_s", step["delivered_per_s"], "/s")
        report(f"chat.fanout.ramp{step['offered_per_s']}.p99_ms", step["p99_ms"], "ms")
        lost_total += step["lost"]
    # Headline: the worst of the three steps at 2,000 deliveries/s; loss over every step including the ramp.
    report("chat.fanout.p50_ms", worst_p50, "ms")
    report("chat.fanout.p99_ms", worst_p99, "ms")
    report("chat.fanout.lost", lost_total, "msgs")
    report("chat.fanout.saturation_per_s", results["saturation_per_s"], "/s")
    for label, step in (("c1000", results["large"]), ("two_process", two["large"])):
        report(f"chat.fanout.{label}.offered_per_s", step["offered_per_s"], "/s")
        report(f"chat.fanout.{label}.delivered_per_s", step["delivered_per_s"], "/s")
        report(f"chat.fanout.{label}.p50_ms", step["p50_ms"], "ms")
        report(f"chat.fanout.{label}.p99_ms", step["p99_ms"], "ms")
        report(f"chat.fanout.{label}.lost", step["lost"], "msgs")


def _run_client(config: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_chat", json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if os.environ.get("BENCH_CHAT_DEBUG"):
        (ROOT / "var" / "bench" / f"chat_messages_{config['mode']}.txt").write_text(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- client side (a separate process) ----------------------------------------------------------


class Receiver:
    """One observer socket: records the arrival time of every benchmark message by client id."""

    def __init__(self, socket):
        self.socket = socket
        self.arrivals: dict[str, float] = {}

    async def read(self):
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                self.arrivals[frame["message"]["client_id"]] = time.perf_counter()


async def _open(url: str, cookie: str, origin: str):
    """Connect one client; a handshake lost under load is retried (connections are set up before measuring)."""
    import websockets

    for attempt in range(5):
        try:
            return await websockets.connect(
                url,
                origin=origin,
                additional_headers={"Cookie": f"sessionid={cookie}"},
                compression=None,
                open_timeout=30,
                max_queue=None,
            )
        except (OSError, websockets.exceptions.InvalidMessage, TimeoutError):
            if attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))


async def _drain(socket):
    async for _raw in socket:
        pass


async def _send_step(sender, receivers, sent_at: dict, *, label: str, rate_per_s: float, seconds: float) -> dict:
    """Send ``rate_per_s`` messages a second for ``seconds``, then wait up to DRAIN_SECONDS for the deliveries."""
    count = max(1, int(rate_per_s * seconds))
    ids = [f"{label}-{i}" for i in range(count)]
    start = time.perf_counter()
    for i, client_id in enumerate(ids):
        delay = start + i / rate_per_s - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent_at[client_id] = time.perf_counter()
        await sender.send(json.dumps({"type": "message", "body": f"bench {client_id}", "client_id": client_id}))
    expected = count * len(receivers)
    deadline = time.perf_counter() + DRAIN_SECONDS
    while time.perf_counter() < deadline:
        if sum(1 for r in receivers for c in ids if c in r.arrivals) >= expected:
            break
        await asyncio.sleep(0.1)
    return {
        "ids": ids,
        "receivers": list(receivers),
        "start": start,
        "offered_per_s": round(rate_per_s * len(receivers)),
    }


def _stats(step: dict, sent_at: dict) -> dict:
    """Latency of every delivery (late ones included); lost = never delivered by the end of the run."""
    latencies = []
    last = step["start"]
    for r in step["receivers"]:
        for c in step["ids"]:
            arrived = r.arrivals.get(c)
            if arrived is not None:
                latencies.append((arrived - sent_at[c]) * 1000)
                last = max(last, arrived)
    latencies.sort()
    delivered = len(latencies)
    return {
        "clients": len(step["receivers"]),
        "offered_per_s": step["offered_per_s"],
        "delivered": delivered,
        "delivered_per_s": round(delivered / max(last - step["start"], 1e-6), 1),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2) if latencies else 0.0,
        "lost": len(step["ids"]) * len(step["receivers"]) - delivered,
    }


async def _add_observers(receivers: list, tasks: list, target: int, config: dict) -> None:
    """Open observer sockets until there are ``target``, spread round-robin over the server ports."""
    ports = config["ports"]
    while len(receivers) < target:
        batch = min(10, target - len(receivers))
        opened = []
        for i in range(batch):
            port = ports[(len(receivers) + i) % len(ports)]
            url = f"ws://127.0.0.1:{port}/ws/chat/{config['chat_id']}/"
            opened.append(_open(url, config["cookies"]["observer"], f"http://127.0.0.1:{port}"))
        for socket in await asyncio.gather(*opened):
            await socket.recv()  # hello
            receiver = Receiver(socket)
            receivers.append(receiver)
            tasks.append(asyncio.create_task(receiver.read()))


async def _client(config: dict) -> dict:
    port = config["ports"][0]
    origin = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/chat/{config['chat_id']}/"
    sender = await _open(url, config["cookies"]["member"], origin)
    await sender.recv()  # hello
    drain = asyncio.create_task(_drain(sender))
    receivers: list[Receiver] = []
    tasks = []
    sent_at: dict[str, float] = {}
    steps = []
    if config["mode"] == "two_process":
        await _add_observers(receivers, tasks, LARGE_CLIENTS, config)
        await asyncio.sleep(1.0)
        large = await _send_step(
            sender, receivers, sent_at, label="two", rate_per_s=LARGE_PER_S / LARGE_CLIENTS, seconds=STEP_SECONDS
        )
        await asyncio.sleep(FINAL_DRAIN_SECONDS)
        result = {"large": _stats(large, sent_at)}
        for receiver in receivers:
            await receiver.socket.close()
        await sender.close()
        for task in [*tasks, drain]:
            task.cancel()
        return result
    for target in STEPS:
        await _add_observers(receivers, tasks, target, config)
        await asyncio.sleep(1.0)
        steps.append(
            await _send_step(
                sender, receivers, sent_at, label=f"s{target}", rate_per_s=TARGET_PER_S / target, seconds=STEP_SECONDS
            )
        )
    ramp = []
    last = _stats(steps[-1], sent_at)
    # The ramp only makes sense when the process kept up at 2,000/s; otherwise it would just add backlog.
    keeps_up = not last["lost"] and last["delivered_per_s"] >= 0.95 * last["offered_per_s"] and last["p99_ms"] < 1000
    for offered in RAMP if keeps_up else ():
        step = await _send_step(
            sender, receivers, sent_at, label=f"r{offered}", rate_per_s=offered / len(receivers), seconds=RAMP_SECONDS
        )
        ramp.append(step)
        interim = _stats(step, sent_at)
        if interim["lost"] or interim["delivered_per_s"] < 0.95 * offered or interim["p99_ms"] >= 1000:
            break
    await _add_observers(receivers, tasks, LARGE_CLIENTS, config)
    await asyncio.sleep(1.0)
    large = await _send_step(
        sender, receivers, sent_at, label="c1000", rate_per_s=LARGE_PER_S / LARGE_CLIENTS, seconds=STEP_SECONDS
    )
    await asyncio.sleep(FINAL_DRAIN_SECONDS)
    if os.environ.get("BENCH_CHAT_DEBUG"):  # per message: first, median and last delivery (stderr)
        for step in steps:
            for c in step["ids"]:
                lat = sorted((r.arrivals[c] - sent_at[c]) * 1000 for r in step["receivers"] if c in r.arrivals)
                if lat:
                    print(c, f"min={lat[0]:.0f} med={lat[len(lat) // 2]:.0f} max={lat[-1]:.0f}", file=sys.stderr)
    step_stats = [_stats(step, sent_at) for step in steps]
    ramp_stats = [_stats(step, sent_at) for step in ramp]
    # Below saturation a step delivers what is offered; at or above it, what the process manages.
    saturation = max(result["delivered_per_s"] for result in [*step_stats, *ramp_stats])
    for receiver in receivers:
        await receiver.socket.close()
    await sender.close()
    for task in [*tasks, drain]:
        task.cancel()
    return {"steps": step_stats, "ramp": ramp_stats, "saturation_per_s": saturation, "large": _stats(large, sent_at)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_client(json.loads(sys.argv[1])))))

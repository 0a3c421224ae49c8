"""CRM outbox figures: delivery throughput to a receiver on loopback, and tag-to-sent latency with a running worker.

- ``crm.outbox.cards_per_s``: 1,000 tagged threads are queued while no worker runs; then two
  ``db_worker`` processes (one per core) start and the clock runs until every row is sent.
- ``crm.outbox.inprocess_cards_per_s``: the same delivery path called in a loop in one process (no task queue).
- ``crm.tag_to_sent.p50_ms`` / ``p95_ms``: with one worker running, a moderator tags a thread and the
  clock runs until the outbox row is sent (the receiver has stored the card).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CARDS = 1000
LATENCY_SAMPLES = 30
WORKER_SECONDS = 30


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's delayed
    # ACK (40 ms on Linux) and the bench would measure that instead of the portal.
    disable_nagle_algorithm = True
    received: set[str] = set()
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.lock:
            self.received.add(self.headers.get("webhook-id", ""))
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _worker() -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "crm",
            "--interval",
            "0.02",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        # Persistent connections, as docker-compose runs the workers (DATABASE_CONN_MAX_AGE=60).
        env={**os.environ, "LOG_LEVEL": "WARNING", "DATABASE_CONN_MAX_AGE": "60"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(workers) -> None:
    for process in workers:
        process.terminate()
    for process in workers:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _seed(n: int, receiver_url: str):
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from community.models import Forum, ModerationSettings, Post, Thread
    from crm import services
    from crm.models import CrmConnection, TagRule
    from crm.signing import new_secret
    from portal.models import User
    from portal.roles import Role

    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    moderator = User.objects.create_user(email="crm-bench-mod@example.com", password="x" * 12, handle="crm-bench-mod")
    moderator.groups.add(Group.objects.get(name=Role.MODERATOR))
    members = User.objects.bulk_create(
        [User(email=f"crm-bench-{i}@example.com", handle=f"crm-bench-member-{i}", password="!") for i in range(50)]
    )
    forum = Forum.objects.create(name="Bench", slug="bench", product="Acme")
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(
                forum=forum, author=members[i % 50], title=f"Quote request {i}", created_at=now, last_activity_at=now
            )
            for i in range(n)
        ]
    )
    Post.objects.bulk_create(
        [
            Post(thread=t, author=t.author, is_question=True, body=f"We want to buy {i} seats.", body_html="<p>x</p>")
            for i, t in enumerate(threads)
        ]
    )
    connection = services.connection_save(
        connection=CrmConnection(name="Bench receiver", kind="webhook", url=receiver_url),
        secrets={"signing_secret": new_secret()},
    )
    TagRule.objects.create(tag="lead", action_type="lead", connection=connection)
    return moderator, threads


def _queue_cards(threads, moderator) -> None:
    """What 1,000 tags leave behind: a card, a pending outbox row and a delivery task each."""
    from django.db import transaction
    from django.utils import timezone

    from crm import services
    from crm.models import InterestCard, OutboxMessage, TagRule

    rule = TagRule.objects.select_related("connection").get(tag="lead")
    now = timezone.now()
    cards = InterestCard.objects.bulk_create(
        [
            InterestCard(
                key=InterestCard.key_for(source_type="forum_thread", source_id=t.pk, tag="lead"),
                rule=rule,
                connection=rule.connection,
                source_type="forum_thread",
                source_id=t.pk,
                source_url=f"http://127.0.0.1/forums/t/{t.pk}/",
                reply_url=f"http://127.0.0.1/forums/t/{t.pk}/#reply",
                title=t.title,
                text=f"We want to buy {t.pk} seats.",
                tag="lead",
                action_type=rule.action_type,
                due_on=now.date(),
                member_id=t.author_id,
            )
            for t in threads
        ]
    )
    with transaction.atomic():
        messages = OutboxMessage.objects.bulk_create([OutboxMessage(card=card) for card in cards])
        for message in messages:
            services.enqueue_delivery(message.pk)


def run(report):
    from django_tasks_db.models import DBTaskResult

    from community.services import thread_tag_add
    from crm import services
    from crm.models import OutboxMessage, OutboxState

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    moderator, threads = _seed(CARDS + LATENCY_SAMPLES, url)
    try:
        # Throughput: 1,000 cards and their outbox rows (bulk, as if tagged) queued with no worker running,
        # then two workers drain them.
        _queue_cards(threads[:CARDS], moderator)
        assert OutboxMessage.objects.filter(state=OutboxState.PENDING).count() == CARDS
        workers = [_worker(), _worker()]
        started = time.perf_counter()
        deadline = started + WORKER_SECONDS
        while OutboxMessage.objects.filter(state=OutboxState.SENT).count() < CARDS and time.perf_counter() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        _stop(workers)
        sent = OutboxMessage.objects.filter(state=OutboxState.SENT).count()
        report("crm.outbox.cards_per_s", sent / elapsed, "cards/s")

        # What one process sends without the task queue's per-task overhead: the rest of the rows, in a loop.
        rest = list(OutboxMessage.objects.filter(state=OutboxState.PENDING).values_list("pk", flat=True))
        if len(rest) < 100:
            OutboxMessage.objects.filter(pk__in=list(OutboxMessage.objects.values_list("pk", flat=True)[:200])).update(
                state=OutboxState.PENDING
            )
            rest = list(OutboxMessage.objects.filter(state=OutboxState.PENDING).values_list("pk", flat=True))
        started = time.perf_counter()
        for message_id in rest:
            services.outbox_deliver(message_id=message_id)
        report("crm.outbox.inprocess_cards_per_s", len(rest) / (time.perf_counter() - started), "cards/s")
        report("crm.outbox.cards_received", len(_Receiver.received), "cards")
        # Tasks of rows already sent above would only be skipped; drop them so the latency run starts clean.
        DBTaskResult.objects.filter(status="READY").delete()

        # Latency: one worker running, tag one thread at a time.
        workers = [_worker()]
        time.sleep(1.5)  # the worker is up and polling
        samples = []
        for thread in threads[CARDS:]:
            begin = time.perf_counter()
            thread_tag_add(thread=thread, name="lead", actor=moderator)
            row = OutboxMessage.objects.filter(card__source_id=thread.pk)
            while not row.filter(state=OutboxState.SENT).exists():
                if time.perf_counter() - begin > 10:
                    break
                time.sleep(0.002)
            samples.append((time.perf_counter() - begin) * 1000)
        _stop(workers)
        report("crm.bench.load_average", os.getloadavg()[0], "")
        samples.sort()
        report("crm.tag_to_sent.p50_ms", statistics.median(samples), "ms")
        report("crm.tag_to_sent.p95_ms", samples[int(len(samples) * 0.95) - 1], "ms")
    finally:
        server.shutdown()

"""Outbound webhook figures: signed deliveries per second to a receiver on loopback.

- ``api.webhook.deliveries_per_s``: 500 ``thread.created`` events are queued while no worker runs
  (a delivery row and a task each, as the event fan-out writes them); then two ``db_worker``
  processes on the "webhooks" queue (one per core) start and the clock runs until every delivery
  is sent (payload built, pseudonymised, signed, POSTed, logged).
- ``api.webhook.inprocess_deliveries_per_s``: the same send path called in a loop in one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer

from tests.benchmarks.bench_crm import ROOT, _Receiver, _stop

EVENTS = 500
WORKER_SECONDS = 60


def _worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "webhooks", "--interval", "0.02"]
        + ["--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING", "DATABASE_CONN_MAX_AGE": "60"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _seed(n: int, url: str) -> list[int]:
    """A public forum with ``n`` questions and a subscription to thread.created; returns the post ids."""
    from django.utils import timezone

    from api.webhooks import services
    from api.webhooks.models import WebhookSubscription
    from community.models import Forum, Post, Thread
    from portal.models import User

    members = User.objects.bulk_create(
        [User(email=f"hook-bench-{i}@example.com", handle=f"hook-bench-member-{i}", password="!") for i in range(50)]
    )
    forum = Forum.objects.create(name="Bench", slug="hook-bench")
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(forum=forum, author=members[i % 50], title=f"Question {i}", created_at=now, last_activity_at=now)
            for i in range(n)
        ]
    )
    posts = Post.objects.bulk_create(
        [
            Post(thread=t, author=t.author, is_question=True, body=f"How do I do thing {i}, @{t.author.handle}?")
            for i, t in enumerate(threads)
        ]
    )
    services.subscription_save(
        subscription=WebhookSubscription(name="Bench receiver", url=url, events=["thread.created", "post.created"])
    )
    return [post.pk for post in posts]


def _publish(post_ids: list[int]) -> None:
    from django.db import transaction

    from api.webhooks import services
    from community.models import Post

    with transaction.atomic():
        for post in Post.objects.select_related("thread__forum", "author").filter(pk__in=post_ids):
            services.post_published(post=post)


def run(report):
    from django_tasks_db.models import DBTaskResult

    from api.webhooks import services
    from api.webhooks.models import DeliveryState, WebhookDelivery

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    post_ids = _seed(EVENTS + 200, f"http://127.0.0.1:{server.server_address[1]}/hook")
    try:
        _publish(post_ids[:EVENTS])
        assert WebhookDelivery.objects.filter(state=DeliveryState.PENDING).count() == EVENTS
        workers = [_worker(), _worker()]
        started = time.perf_counter()
        deadline = started + WORKER_SECONDS
        sent = WebhookDelivery.objects.filter(state=DeliveryState.SENT)
        while sent.count() < EVENTS and time.perf_counter() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        _stop(workers)
        report("api.webhook.deliveries_per_s", sent.count() / elapsed, "deliveries/s")

        DBTaskResult.objects.filter(status="READY").delete()
        _publish(post_ids[EVENTS:])
        rest = list(WebhookDelivery.objects.filter(state=DeliveryState.PENDING).values_list("pk", flat=True))
        started = time.perf_counter()
        for delivery_id in rest:
            services.delivery_send(message_id=delivery_id)
        report("api.webhook.inprocess_deliveries_per_s", len(rest) / (time.perf_counter() - started), "deliveries/s")
        report("api.webhook.deliveries_received", len(_Receiver.received), "deliveries")
    finally:
        server.shutdown()
        server.server_close()

"""Insight on 100,000 posts: backfill time, main dashboard time and queries, analyser throughput.

Seeds 2,000 members, 20,000 threads of five posts each over the last 180 days (bulk inserts, texts from
the labelled German and English sentences), analyses them with the backfill, then times the main
dashboard (Volume, last 30 days) as a moderator. The query count is also taken on a first small slice
of the data, so the report shows it does not grow with the content.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

from django.test import Client
from django.utils import timezone

from tests.benchmarks.timing import count_queries, get_ok, percentiles

MEMBERS = 2_000
THREADS = 20_000
POSTS_PER_THREAD = 5
DAYS = 180
DATA = Path(__file__).resolve().parents[1] / "insight" / "data"


def _sentences() -> list[str]:
    lines = []
    for name in ("labelled_de.tsv", "labelled_en.tsv"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                lines.append(line.split("\t")[1])
    return lines


def _seed(threads: int, *, offset: int, members: list[int], forums: list[int], rng) -> None:
    from community.models import Post, Thread

    sentences = _sentences()
    now = timezone.now()
    batch = 2_000
    for start in range(offset, offset + threads, batch):
        count = min(batch, offset + threads - start)
        opened = [now - timedelta(minutes=rng.randint(60, DAYS * 24 * 60)) for _ in range(count)]
        rows = [
            Thread(
                forum_id=forums[i % len(forums)],
                author_id=rng.choice(members),
                title=f"{sentences[(start + i) % len(sentences)][:80]} #{start + i}",
                reply_count=POSTS_PER_THREAD - 1,
                created_at=opened[i],
                last_activity_at=opened[i],
            )
            for i in range(count)
        ]
        created = Thread.objects.bulk_create(rows)
        posts = []
        for thread in created:
            for n in range(POSTS_PER_THREAD):
                body = " ".join(rng.sample(sentences, 2))
                posts.append(
                    Post(
                        thread_id=thread.pk,
                        author_id=rng.choice(members),
                        is_question=n == 0,
                        body=body,
                        body_html=f"<p>{body}</p>",
                        created_at=thread.created_at + timedelta(minutes=37 * n),
                    )
                )
        Post.objects.bulk_create(posts, batch_size=5_000)


def _texts_per_second(seconds: float = 3.0) -> float:
    from insight.analysis import text_sentiment

    corpus = _sentences()
    text_sentiment(corpus[0])
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for text in corpus:
            text_sentiment(text)
        done += len(corpus)
    return done / (time.process_time() - started)


def run(report) -> None:
    from django.contrib.auth.models import Group

    from community.models import Forum
    from insight import services
    from portal.models import User
    from portal.roles import Role

    rng = random.Random(13)  # noqa: S311
    report("insight.sentiment.texts_per_s", _texts_per_second(), "texts/s (one core, CPU time)")
    User.objects.bulk_create(
        [
            User(email=f"bench-insight-{i}@example.com", handle=f"bench-insight-{i}", password="!")
            for i in range(MEMBERS)
        ],
        batch_size=2_000,
    )
    members = list(User.objects.filter(handle__startswith="bench-insight-").values_list("pk", flat=True))
    forums = [
        Forum.objects.create(name=f"Bench forum {n}", slug=f"bench-insight-{n}", product=f"Product {n % 3}").pk
        for n in range(6)
    ]
    moderator = User.objects.create_user(email="bench-insight-mod@example.com", password="bench-insight-9")
    moderator.groups.add(Group.objects.get(name=Role.MODERATOR))
    client = Client()
    client.force_login(moderator)
    url = "/admin/insight/?range=30"

    _seed(THREADS // 20, offset=0, members=members, forums=forums, rng=rng)
    services.backfill()
    get_ok(client, url)()
    report("insight.dashboard.queries_5k_posts", count_queries(get_ok(client, url)), "queries")

    _seed(THREADS - THREADS // 20, offset=THREADS // 20, members=members, forums=forums, rng=rng)
    started = time.perf_counter()
    result = services.backfill()
    report("insight.backfill_100k_s", time.perf_counter() - started, "s")
    report("insight.backfill_100k_posts", result["post"], "posts")
    get_ok(client, url)()  # warm, as for the small count
    report("insight.dashboard.queries", count_queries(get_ok(client, url)), "queries")
    timings = percentiles(get_ok(client, url), iterations=30, warmup=3)
    report("insight.dashboard.p50_ms", timings["p50_ms"], "ms")
    report("insight.dashboard.p95_ms", timings["p95_ms"], "ms")

"""The REST API's thread list on a seeded forum: 2,000 threads by 500 members, read with a personal token."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client, override_settings
from django.utils import timezone

from tests.benchmarks.timing import count_queries, percentiles

MEMBERS = 500
THREADS = 2_000
PAGE = 25


def _seed():
    from community.models import Forum, Thread
    from portal.models import User

    now = timezone.now()
    User.objects.bulk_create(
        [User(email=f"bench-api-{i}@example.com", handle=f"bench-api-{i}", password="!") for i in range(MEMBERS)],
        batch_size=1000,
    )
    members = list(User.objects.filter(handle__startswith="bench-api-").order_by("pk").values_list("pk", flat=True))
    forum = Forum.objects.create(name="API bench", slug="api-bench")
    Thread.objects.bulk_create(
        [
            Thread(
                forum=forum,
                author_id=members[i % MEMBERS],
                title=f"Benchmark question number {i}",
                created_at=now - timedelta(minutes=i),
                last_activity_at=now - timedelta(minutes=i),
                tag_labels=[["billing", "billing", False]],
            )
            for i in range(THREADS)
        ],
        batch_size=1000,
    )
    return members


def run(report):
    from api import services
    from api.models import TokenKind
    from portal.models import User

    members = _seed()
    viewer = User.objects.get(pk=members[0])
    _token, secret = services.token_create(
        kind=TokenKind.PERSONAL, name="bench", user=viewer, scopes=["read"], created_by=viewer
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/forums/api-bench/threads?limit={PAGE}"

    def threads():
        response = client.get(url)
        assert response.status_code == 200, response.content
        assert len(response.json()["items"]) == PAGE
        return response

    threads()  # records this client's pseudonyms of the page's authors once, as any first read does
    report("api.threads.queries", count_queries(threads))
    with override_settings(API_RATE_LIMIT_PER_MINUTE=1_000_000):  # the limit is per token; this is one token
        figures = percentiles(threads, iterations=200)
    report("api.threads.p50_ms", figures["p50_ms"], "ms")
    report("api.threads.p95_ms", figures["p95_ms"], "ms")

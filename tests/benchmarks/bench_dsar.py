"""MyData export and erasure of a member with 10,000 posts (plus 1,000 for the query-growth figure).

Reports the export's wall time, its peak traced memory (tracemalloc), how many queries each further
1,000 rows cost, and the erasure's wall time. The bench may import domain apps to seed; consent/ never does.
"""

from __future__ import annotations

import time
import tracemalloc

from django.utils import timezone

from tests.benchmarks.timing import count_queries

POSTS = 10_000
SMALL = 1_000


def _member_with_posts(n: int, label: str):
    from community.models import Forum, Post, Thread
    from portal.models import User

    now = timezone.now()
    member = User.objects.create_user(email=f"dsar-{label}@example.com", password="bench-pass-123")
    forum, _ = Forum.objects.get_or_create(slug="dsar-bench", defaults={"name": "DSAR bench"})
    threads = Thread.objects.bulk_create(
        [Thread(forum=forum, author=member, title=f"Thread {i}", last_activity_at=now) for i in range(n // 20)]
    )
    Post.objects.bulk_create(
        [
            Post(
                thread=threads[i % len(threads)],
                author=member,
                body=f"Post number {i} about exports, invoices and backups. " * 3,
                body_html=f"<p>Post number {i} about exports, invoices and backups.</p>" * 3,
                created_at=now,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    return member


def _build(member):
    from consent.dsar.models import DataExport
    from consent.dsar.services import export_build

    export = DataExport.objects.create(user=member, requested_by=member)
    return export_build(export_id=export.pk)


def run(report):
    from consent.dsar.services import member_erase

    small = _member_with_posts(SMALL, "small")
    big = _member_with_posts(POSTS, "big")
    q_small = count_queries(lambda: _build(small))
    q_big = count_queries(lambda: _build(big))
    report("dsar.export.queries_per_1000_rows", (q_big - q_small) / ((POSTS - SMALL) / 1000), "queries")

    start = time.perf_counter()
    export = _build(big)
    report("dsar.export_10k_posts.s", time.perf_counter() - start, "s")
    assert export.rows >= POSTS + POSTS // 20, export.rows

    tracemalloc.start()
    _build(big)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report("dsar.export_10k_posts.peak_mb", peak / 1_000_000, "MB")

    start = time.perf_counter()
    member_erase(member=big, actor=big)
    report("dsar.erase_10k_posts.s", time.perf_counter() - start, "s")
    _remove_files()


def _remove_files():
    """The bench's ZIPs are not kept."""
    from consent.dsar.export import exports_dir
    from consent.dsar.models import DataExport

    for export in DataExport.objects.exclude(file_name=""):
        (exports_dir() / export.file_name).unlink(missing_ok=True)

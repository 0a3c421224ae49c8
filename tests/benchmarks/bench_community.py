"""Forums at scale: 10,000 members, 1,000 threads, one thread with 500 posts.

Reports queries and warm server time (in-process client) for the thread list, the
500-post thread (first page of 50), posting a reply and searching; the list and thread
page also without the fragment cache (every post and row rendered anew).
"""

from __future__ import annotations

import itertools
import random

from django.test import Client
from django.utils import timezone

from tests.benchmarks.timing import count_queries, get_ok, percentiles

MEMBERS = 10_000
THREADS = 1_000
BIG_THREAD_POSTS = 500
WORDS = "printer export invoice dashboard timeout login password report schedule widget backup sync".split()


def _seed():
    from django.contrib.auth.models import Group

    from community.models import Forum, ModerationSettings, Post, Tag, Thread
    from portal import demo as portal_demo
    from portal.models import User
    from portal.roles import Role

    portal_demo.seed(stdout=None)
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.posts_per_hour = 1_000_000
    config.save()
    rng = random.Random(42)
    now = timezone.now()
    members = User.objects.bulk_create(
        [
            User(email=f"bench{i}@example.com", handle=f"bench-member-{i}", password="!", email_confirmed_at=now)
            for i in range(MEMBERS)
        ],
        batch_size=2000,
    )
    customers = Group.objects.get(name=Role.CUSTOMER)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=m.pk, group_id=customers.pk) for m in members], batch_size=5000
    )
    forums = Forum.objects.bulk_create(
        [Forum(name=f"Bench forum {i}", slug=f"bench-{i}", order=10 + i) for i in range(4)]
    )
    tags = Tag.objects.bulk_create([Tag(name=w, slug=w) for w in WORDS])
    threads = Thread.objects.bulk_create(
        [
            Thread(
                forum=forums[i % len(forums)],
                author=members[i % MEMBERS],
                title=f"How do I fix the {rng.choice(WORDS)} {rng.choice(WORDS)} problem number {i}?",
                created_at=now,
                last_activity_at=now - timezone.timedelta(minutes=i),
            )
            for i in range(THREADS)
        ],
        batch_size=1000,
    )
    for i, thread in enumerate(threads):
        thread.tag_labels = [[tags[i % len(tags)].name, tags[i % len(tags)].slug]]
    Thread.objects.bulk_update(threads, ["tag_labels"], batch_size=1000)
    Thread.tags.through.objects.bulk_create(
        [Thread.tags.through(thread_id=t.pk, tag_id=tags[i % len(tags)].pk) for i, t in enumerate(threads)],
        batch_size=2000,
    )
    posts = [
        Post(
            thread=t,
            author=t.author,
            is_question=True,
            body=f"Question text {t.pk}",
            body_html=f"<p>Question text {t.pk}</p>",
            created_at=now,
        )
        for t in threads
    ]
    big = threads[0]
    cycle = itertools.cycle(members[1:200])
    posts += [
        Post(
            thread=big,
            author=next(cycle),
            body=f"Reply {i} about the {WORDS[i % len(WORDS)]}",
            body_html=f"<p>Reply {i} about the <strong>{WORDS[i % len(WORDS)]}</strong></p>",
            created_at=now + timezone.timedelta(seconds=i),
        )
        for i in range(BIG_THREAD_POSTS - 1)
    ]
    Post.objects.bulk_create(posts, batch_size=2000)
    Thread.objects.filter(pk=big.pk).update(reply_count=BIG_THREAD_POSTS - 1, last_activity_at=now)
    for forum in forums:
        from community.services import forum_recount

        forum_recount(forum)
    return forums[0], big, members


def _index(threads_qs, posts_qs):
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    backend.add_bulk(threads_qs.model, list(threads_qs))
    backend.add_bulk(posts_qs.model, list(posts_qs))


def run(report):
    from django.db import connection

    from community.models import Post, Thread

    forum, big, members = _seed()
    _index(
        Thread.objects.all(), Post.objects.filter(thread_id__in=list(Thread.objects.values_list("pk", flat=True)[:300]))
    )
    with connection.cursor() as cursor:
        # Planner statistics, as a maintained database has them; without them SQLite joins the
        # search index in the wrong order (~100 ms per search instead of ~1-5 ms).
        cursor.execute("ANALYZE")
    client = Client()
    client.login(email="customer@example.com", password="customer-demo-2026")

    call = get_ok(client, f"/forums/{forum.slug}/")
    call()
    report("forum.thread_list.queries", count_queries(call))
    report("forum.thread_list.p50_ms", percentiles(call, iterations=200)["p50_ms"], "ms")

    call = get_ok(client, f"/forums/t/{big.pk}/")
    call()
    report("forum.thread_detail.queries", count_queries(call))
    report("forum.thread_detail.p50_ms", percentiles(call, iterations=150)["p50_ms"], "ms")

    # The same pages with every post and row rendered anew (no fragment cache): a page nobody
    # has viewed in this language and situation since its posts last changed.
    from django.core.cache.backends.dummy import DummyCache

    from portal import fragments

    cached = fragments.cache
    fragments.cache = DummyCache("bench", {})
    try:
        call = get_ok(client, f"/forums/{forum.slug}/")
        report("forum.thread_list.uncached_p50_ms", percentiles(call, iterations=100)["p50_ms"], "ms")
        call = get_ok(client, f"/forums/t/{big.pk}/")
        report("forum.thread_detail.uncached_p50_ms", percentiles(call, iterations=100)["p50_ms"], "ms")
    finally:
        fragments.cache = cached

    anonymous = Client()
    call = get_ok(anonymous, f"/forums/{forum.slug}/")
    call()
    report("forum.thread_list.anonymous.queries", count_queries(call))
    call = get_ok(anonymous, f"/forums/t/{big.pk}/")
    call()
    report("forum.thread_detail.anonymous.queries", count_queries(call))

    replier = Client()
    replier.force_login(members[500])
    target = Thread.objects.filter(forum=forum).exclude(pk=big.pk).first()
    counter = itertools.count()

    def post_reply():
        response = replier.post(
            f"/forums/t/{target.pk}/reply/", {"body": f"Bench reply {next(counter)}", "action": "publish"}
        )
        assert response.status_code == 302, response.status_code

    report("forum.reply.queries", count_queries(post_reply))
    report("forum.reply.p50_ms", percentiles(post_reply, iterations=150)["p50_ms"], "ms")

    call = get_ok(client, "/forums/search/?q=printer+export")
    call()
    report("forum.search.queries", count_queries(call))
    report("forum.search.p50_ms", percentiles(call, iterations=100)["p50_ms"], "ms")

"""Idea boards on a seeded set: 500 ideas, 50,000 votes, 10,000 members (board, idea page, vote, review console)."""

from __future__ import annotations

import itertools
import random
import statistics
import time
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tests.benchmarks.timing import count_queries, get_ok, percentiles

MEMBERS = 10_000
IDEAS = 500
VOTES = 50_000
COMMENTS_ON_DETAIL = 50


def _seed():
    from ideas.models import Board, Comment, Idea, Vote
    from portal.models import User

    rng = random.Random(4)  # noqa: S311
    now = timezone.now()
    User.objects.bulk_create(
        [User(email=f"bench-idea-{i}@example.com", handle=f"bench-idea-{i}", password="!") for i in range(MEMBERS)],
        batch_size=2000,
    )
    members = list(User.objects.filter(handle__startswith="bench-idea-").order_by("pk").values_list("pk", flat=True))
    board = Board.objects.create(name="Bench board", slug="bench")
    Idea.objects.bulk_create(
        [
            Idea(
                board=board,
                author_id=members[i],
                title=f"Benchmark idea number {i} about reports and exports",
                body="Some text",
                body_html="<p>Some text</p>",
                created_at=now - timedelta(hours=i),
            )
            for i in range(IDEAS)
        ],
        batch_size=500,
    )
    ideas = list(Idea.objects.filter(board=board).order_by("pk").values_list("pk", flat=True))
    # A skewed but exact split: weights make a few ideas popular; the counts add up to VOTES.
    weights = [1 / (rank + 10) for rank in range(IDEAS)]
    total = sum(weights)
    counts = [max(1, int(VOTES * w / total)) for w in weights]
    counts[0] += VOTES - sum(counts)
    votes = []
    for idea_id, n in zip(ideas, counts, strict=True):
        for voter in rng.sample(members, n):
            votes.append(Vote(idea_id=idea_id, voter_id=voter, created_at=now - timedelta(days=rng.randint(0, 90))))
    Vote.objects.bulk_create(votes, batch_size=5000)
    for idea_id, n in zip(ideas, counts, strict=True):
        Idea.objects.filter(pk=idea_id).update(vote_count=n)
    detail = ideas[0]
    Comment.objects.bulk_create(
        [
            Comment(idea_id=detail, author_id=members[i], body="A comment", body_html="<p>A comment</p>")
            for i in range(COMMENTS_ON_DETAIL)
        ]
    )
    Idea.objects.filter(pk=detail).update(comment_count=COMMENTS_ON_DETAIL)
    return ideas, members


def _cpu_p50(fn, iterations: int = 100) -> float:
    """Median process CPU time per call in ms: less distorted than wall time when other jobs share the cores."""
    samples = []
    for _ in range(iterations):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def run(report):
    from portal.demo import seed
    from portal.models import User
    from portal.roles import Role

    seed(stdout=None)
    ideas, members = _seed()
    viewer = User.objects.with_email("customer@example.com").get()
    client = Client()
    client.force_login(viewer)

    board = get_ok(client, "/ideas/bench/")
    board()
    report("ideas.board.queries", count_queries(board))
    figures = percentiles(board, iterations=200)
    report("ideas.board.p50_ms", figures["p50_ms"], "ms")
    report("ideas.board.p95_ms", figures["p95_ms"], "ms")
    report("ideas.board.cpu_p50_ms", _cpu_p50(board), "ms")
    trending = get_ok(client, "/ideas/bench/?sort=trending")
    report("ideas.board.trending.p50_ms", percentiles(trending, iterations=100)["p50_ms"], "ms")

    detail = get_ok(client, f"/ideas/idea/{ideas[0]}/")
    detail()
    report("ideas.detail.queries", count_queries(detail))
    figures = percentiles(detail, iterations=200)
    report("ideas.detail.p50_ms", figures["p50_ms"], "ms")
    report("ideas.detail.p95_ms", figures["p95_ms"], "ms")
    report("ideas.detail.cpu_p50_ms", _cpu_p50(detail), "ms")

    # Votes rotate over 12 members (each stays under the per-member rate limit), alternating vote and take-back.
    voters = []
    for pk in members[-12:]:
        c = Client()
        c.force_login(User.objects.get(pk=pk))
        voters.append(c)
    target = ideas[250]
    state = {}
    cycle = itertools.cycle(range(len(voters)))

    def vote():
        i = next(cycle)
        wanted = "0" if state.get(i) else "1"
        response = voters[i].post(f"/ideas/idea/{target}/vote/", {"voted": wanted})
        assert response.status_code == 302, response.status_code
        state[i] = not state.get(i)

    figures = percentiles(vote, iterations=200, warmup=12)
    report("ideas.vote.p50_ms", figures["p50_ms"], "ms")
    report("ideas.vote.p95_ms", figures["p95_ms"], "ms")
    report("ideas.vote.cpu_p50_ms", _cpu_p50(vote, iterations=96), "ms")

    pm = User.objects.with_email("pm@example.com").get()
    assert pm.groups.filter(name=Role.PRODUCT_MANAGER).exists()
    pm_client = Client()
    pm_client.force_login(pm)
    console = get_ok(pm_client, "/admin/ideas-review/")
    console()
    report("ideas.review_console.queries", count_queries(console))
    figures = percentiles(console, iterations=100)
    report("ideas.review_console.p50_ms", figures["p50_ms"], "ms")
    report("ideas.review_console.cpu_p50_ms", _cpu_p50(console, iterations=50), "ms")
    trend = get_ok(pm_client, "/admin/ideas-review/?sort=trend")
    report("ideas.review_console.trend.p50_ms", percentiles(trend, iterations=50)["p50_ms"], "ms")

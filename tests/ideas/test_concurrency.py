"""Votes stay exact when many members vote at once (threads on PostgreSQL; the same scenario sequentially on SQLite)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from ideas import services
from ideas.models import Board, Idea, Vote
from tests.factories import make_member

THREADED = connection.vendor == "postgresql"


def _run_all(calls) -> list[BaseException]:
    """Run the calls in parallel threads (PostgreSQL) released by one barrier, or one after another (SQLite)."""
    errors: list[BaseException] = []
    if not THREADED:
        for call in calls:
            try:
                call()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        return errors
    barrier = threading.Barrier(len(calls))

    def worker(call):
        try:
            barrier.wait(timeout=30)
            call()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def _idea() -> Idea:
    board = Board.objects.create(name="Race", slug="race")
    return services.idea_create(board=board, author=make_member(), title="Race condition idea", body="")


@pytest.mark.django_db(transaction=True)
def test_twenty_members_vote_at_once():
    """20 members voting on one idea at the same moment give 20 votes and a count of 20."""
    idea = _idea()
    voters = [make_member() for _ in range(20)]
    errors = _run_all([lambda u=u: services.vote_set(idea_id=idea.pk, voter=u, voted=True) for u in voters])
    assert errors == []
    idea.refresh_from_db()
    assert (Vote.objects.filter(idea=idea).count(), idea.vote_count) == (20, 20)


@pytest.mark.django_db(transaction=True)
def test_quick_double_toggles_stay_consistent():
    """Each of 10 members sends vote and take-back at once, twice over: the count equals the stored votes."""
    idea = _idea()
    voters = [make_member() for _ in range(10)]
    calls = []
    for user in voters:
        for wanted in (True, False, True, True):
            calls.append(lambda u=user, w=wanted: services.vote_set(idea_id=idea.pk, voter=u, voted=w))
    errors = _run_all(calls)
    assert errors == []
    idea.refresh_from_db()
    stored = Vote.objects.filter(idea=idea).count()
    assert idea.vote_count == stored
    assert stored <= 10
    if not THREADED:
        assert stored == 10


@pytest.mark.django_db(transaction=True)
def test_same_member_double_submission_counts_once():
    """The same member's vote sent 8 times at once is stored once."""
    idea = _idea()
    user = make_member()
    errors = _run_all([lambda: services.vote_set(idea_id=idea.pk, voter=user, voted=True) for _ in range(8)])
    assert errors == []
    idea.refresh_from_db()
    assert (Vote.objects.filter(idea=idea).count(), idea.vote_count) == (1, 1)

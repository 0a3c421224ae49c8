"""Unread tracking: read positions, "N new" in the thread list, the first-unread jump, per-member HTML, query budgets."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from community import services
from community.models import Post, Thread, ThreadRead, WatchLevel
from portal.roles import Role
from tests.community.conftest import reply
from tests.community.test_queries import SHELL_MEMBER, _seed_threads
from tests.factories import make_member

NEW = re.compile(r'data-unread-count="(\d+)"')


@pytest.fixture(autouse=True)
def _site(home_page):
    return home_page


@pytest.fixture
def reader(db):
    return make_member(role=Role.CUSTOMER)


@pytest.fixture
def small_pages(settings):
    settings.FORUM_POSTS_PER_PAGE = 3
    return settings


def _row(html: str, thread: Thread) -> str:
    """The thread's row in a thread list page."""
    start = html.index(f'href="/forums/t/{thread.pk}/"')
    end = html.find('<li class="card thread-row">', start)
    return html[start : end if end != -1 else len(html)]


def _new_in_row(client, thread) -> int | None:
    found = NEW.search(_row(client.get(thread.forum.get_absolute_url()).content.decode(), thread))
    return int(found.group(1)) if found else None


def test_viewing_a_page_records_the_last_post_shown_and_never_moves_back(
    small_pages, client, thread, other_customer, reader
):
    replies = [reply(thread, other_customer, f"Reply {i}") for i in range(5)]
    client.force_login(reader)
    client.get(f"/forums/t/{thread.pk}/")
    assert ThreadRead.objects.get(user=reader, thread=thread).last_read_post_id == replies[1].pk
    client.get(f"/forums/t/{thread.pk}/?page=2")
    assert ThreadRead.objects.get(user=reader, thread=thread).last_read_post_id == replies[4].pk
    client.get(f"/forums/t/{thread.pk}/")
    assert ThreadRead.objects.get(user=reader, thread=thread).last_read_post_id == replies[4].pk
    assert ThreadRead.objects.count() == 1


def test_visitors_leave_no_read_position(client, thread):
    client.get(f"/forums/t/{thread.pk}/")
    assert ThreadRead.objects.count() == 0


def test_the_list_counts_posts_by_others_since_the_last_visit(client, thread, customer, other_customer, reader):
    """A visited thread shows "N new" for later posts by others; the reader's own posts are not new to them."""
    client.force_login(reader)
    client.get(f"/forums/t/{thread.pk}/")
    assert _new_in_row(client, thread) is None
    reply(thread, other_customer, "First")
    reply(thread, customer, "Second")
    reply(thread, reader, "My own")
    html = _row(client.get(thread.forum.get_absolute_url()).content.decode(), thread)
    assert 'data-unread-count="2"' in html
    assert ">2 new<" in html
    assert f'href="/forums/t/{thread.pk}/unread/"' in html
    client.get(f"/forums/t/{thread.pk}/")
    assert _new_in_row(client, thread) is None


def test_unvisited_threads_count_only_when_followed_and_muted_shows_nothing(
    client, forum, customer, other_customer, reader
):
    """Never visited: no count, unless the member tracks the forum (posts since they began); muted: nothing."""
    before = services.thread_create(forum=forum, author=customer, title="Older", body="x")
    reply(before, other_customer, "old reply")
    client.force_login(reader)
    assert _new_in_row(client, before) is None
    services.watch_set(user=reader, forum=forum, level=WatchLevel.TRACKING)
    assert _new_in_row(client, before) is None  # nothing since tracking began
    reply(before, other_customer, "new reply")
    later = services.thread_create(forum=forum, author=customer, title="Newer", body="x")
    assert _new_in_row(client, before) == 1
    assert _new_in_row(client, later) == 1  # its question
    html = client.get(forum.get_absolute_url()).content.decode()
    assert ">Tracking<" in _row(html, later)
    services.watch_set(user=reader, thread=later, level=WatchLevel.MUTED)
    assert _new_in_row(client, later) is None
    assert ">Muted<" in _row(client.get(forum.get_absolute_url()).content.decode(), later)


def test_first_unread_jumps_to_the_right_page_and_anchor(small_pages, client, thread, other_customer, reader):
    """The link resolves the first unread post and lands on its page with its anchor (through the permalink)."""
    replies = [reply(thread, other_customer, f"Reply {i}") for i in range(5)]
    client.force_login(reader)
    client.get(f"/forums/t/{thread.pk}/")  # question, reply 0, reply 1
    response = client.get(f"/forums/t/{thread.pk}/unread/")
    assert response.status_code == 302 and response["Location"] == f"/forums/p/{replies[2].pk}/"
    response = client.get(response["Location"])
    assert response["Location"] == f"/forums/t/{thread.pk}/?page=2#post-{replies[2].pk}"
    client.get(f"/forums/t/{thread.pk}/?page=2")
    assert client.get(f"/forums/t/{thread.pk}/unread/")["Location"] == f"/forums/t/{thread.pk}/"


def test_first_unread_for_a_followed_thread_never_visited(client, forum, customer, other_customer, reader):
    services.watch_set(user=reader, forum=forum, level=WatchLevel.WATCHING)
    thread = services.thread_create(forum=forum, author=customer, title="Brand new", body="x")
    question = thread.posts.get()
    client.force_login(reader)
    assert client.get(f"/forums/t/{thread.pk}/unread/")["Location"] == f"/forums/p/{question.pk}/"


def test_hidden_posts_are_not_counted(client, thread, other_customer, moderator, reader):
    client.force_login(reader)
    client.get(f"/forums/t/{thread.pk}/")
    reply(thread, other_customer, "fine")
    spam = reply(thread, other_customer, "spam")
    services.post_hide(post=spam, moderator=moderator, reason="Spam")
    assert _new_in_row(client, thread) == 1


def test_one_members_counts_are_never_served_to_another_from_the_cache(client, thread, other_customer, reader):
    """The shared row fragment holds no viewer's numbers: whoever fills the cache, each sees their own."""
    client.force_login(reader)
    client.get(f"/forums/t/{thread.pk}/")
    reply(thread, other_customer, "one")
    reply(thread, other_customer, "two")
    bystander = Client()
    bystander.force_login(make_member(role=Role.CUSTOMER))
    anonymous = Client()
    url = thread.forum.get_absolute_url()
    for first in (client, bystander, anonymous):
        cache.clear()
        first.get(url)
        assert NEW.findall(client.get(url).content.decode()) == ["2"]
        assert NEW.findall(bystander.get(url).content.decode()) == []
        assert NEW.findall(anonymous.get(url).content.decode()) == []
        assert "First unread" not in anonymous.get(url).content.decode()


# --- query budgets with unread tracking on ----------------------------------------------------------------


def _reading_member(forum, threads, other):
    """A member who tracks the forum, watches a tag, mutes one thread and has read every other thread; then
    another member posts once in each thread."""
    from community.models import Tag

    member = make_member(role=Role.CUSTOMER)
    services.watch_set(user=member, forum=forum, level=WatchLevel.TRACKING)
    services.watch_set(user=member, tag=Tag.objects.get(slug=f"tag-{forum.slug}"), level=WatchLevel.WATCHING)
    services.watch_set(user=member, thread=threads[-1], level=WatchLevel.MUTED)  # the newest: on page 1
    first = {p.thread_id: p.pk for p in Post.objects.filter(thread__in=threads, is_question=True)}
    ThreadRead.objects.bulk_create(
        [ThreadRead(user=member, thread=t, last_read_post_id=first[t.pk]) for t in threads[1::2]]
    )
    now = timezone.now()
    Post.objects.bulk_create(
        [Post(thread=t, author=other, body="new", body_html="<p>new</p>", created_at=now) for t in threads]
    )
    return member


@pytest.mark.parametrize(("rows", "page", "shown_rows"), [(5, 1, 5), (50, 1, 25), (60, 3, 10)])
def test_thread_list_budget_with_unread_on_is_flat_in_rows_and_pages(
    rows, page, shown_rows, client, forum, customer, other_customer, django_assert_num_queries
):
    """Forum (with the member's forum level), the member's forum and tag watches, and threads (with read
    positions, own levels and new counts) = shell + 3, at 5 or 50 rows and on a deep page."""
    threads = _seed_threads(forum, customer, rows)
    member = _reading_member(forum, threads, other_customer)
    client.force_login(member)
    with django_assert_num_queries(SHELL_MEMBER + 3):
        response = client.get(f"/forums/{forum.slug}/?page={page}")
    shown = response.context["threads"]
    assert len(shown) == shown_rows
    counts = {t.pk: t.viewer_new for t in shown}
    if page == 1:
        assert counts.pop(threads[-1].pk) is None  # muted
    assert set(counts.values()) == {1}
    # Read every other thread: those count after the read position, the rest since the forum was tracked.
    assert {t.viewer_level for t in shown if t.pk != threads[-1].pk} == {WatchLevel.WATCHING}


@pytest.mark.parametrize("rows", [5, 50])
def test_thread_list_with_warm_caches_is_within_six_queries(
    rows, client, forum, customer, other_customer, django_assert_max_num_queries
):
    """Once site and brand are cached: session, user, staff-role check, forum, the member's forum and tag
    watches, threads = 6 (the issue: at most 6)."""
    threads = _seed_threads(forum, customer, rows)
    client.force_login(_reading_member(forum, threads, other_customer))
    client.get(f"/forums/{forum.slug}/")
    with django_assert_max_num_queries(6) as captured:
        client.get(f"/forums/{forum.slug}/")
    assert len(captured) == 6


def test_tag_page_budget_with_unread_on(client, forum, customer, other_customer, django_assert_num_queries):
    """Tag page: tag (with the member's level), the member's forum and tag watches and threads (with unread) = shell + 3."""
    threads = _seed_threads(forum, customer, 30)
    client.force_login(_reading_member(forum, threads, other_customer))
    with django_assert_num_queries(SHELL_MEMBER + 3):
        response = client.get(f"/forums/tag/tag-{forum.slug}/")
    assert len(response.context["threads"]) == 25


def test_a_thread_page_showing_new_posts_costs_one_statement_more_and_stays_within_eight(
    client, thread, other_customer, reader, django_assert_num_queries
):
    """Warm caches: session, user, staff-role check, thread, posts, knowledge-base link, draft = 7, plus one
    UPDATE of the read position when the page shows posts the member had not seen = 8 (the issue: at most 8)."""
    client.force_login(reader)
    client.get(f"/forums/t/{thread.pk}/")
    reply(thread, other_customer, "news")
    with django_assert_num_queries(8) as captured:
        client.get(f"/forums/t/{thread.pk}/")
    writes = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith('UPDATE "community_threadread"')
    with django_assert_num_queries(7):
        client.get(f"/forums/t/{thread.pk}/")

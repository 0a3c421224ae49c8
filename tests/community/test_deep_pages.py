"""Deep forum pages: seek pagination returns exactly the rows the page number names.

Page N is found through its first row (a subquery over the sort keys), not an OFFSET over whole
rows; these tests walk every page of a list with ties, pinned, hidden, held and private rows and
compare with the order computed here, for members, moderators and visitors.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Post, Thread
from community.models.forum import PostStatus, ThreadState


@pytest.fixture(autouse=True)
def _site(home_page):
    return home_page


@pytest.fixture
def small_pages(settings):
    settings.FORUM_THREADS_PER_PAGE = 7
    settings.FORUM_POSTS_PER_PAGE = 6
    return settings


def _threads(forum, customer, other_customer):
    """40 threads: pairs share a timestamp (the id decides), two pinned, and rows only some may see."""
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(
                forum=forum,
                author=other_customer,
                title=f"Thread {i}",
                last_activity_at=now - timedelta(minutes=i // 2),
                is_pinned=i in (13, 31),
                state=ThreadState.HIDDEN if i in (5, 22) else ThreadState.OPEN,
                is_held=i in (8, 27),
                is_private=i in (11, 12),
            )
            for i in range(40)
        ]
    )
    mine = Thread.objects.filter(pk=threads[27].pk)
    mine.update(author=customer)  # a held thread its author sees, others do not
    return list(Thread.objects.filter(forum=forum).order_by("-is_pinned", "-last_activity_at", "-id"))


def _visible_to_member(thread, member) -> bool:
    if thread.state == ThreadState.HIDDEN:
        return False
    if thread.is_held and thread.author_id != member.pk:
        return False
    return not thread.is_private or thread.author_id == member.pk


def _walk(client, url):
    """Every page from 1 until the page without a next link: (rows per page, last page)."""
    pages = []
    number = 1
    while True:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={number}")
        assert response.status_code == 200
        page = response.context["page"]
        assert page.number == number
        pages.append([row.pk for row in page.items])
        if not page.has_next:
            return pages
        number += 1


def test_every_thread_list_page_of_a_member_holds_exactly_its_rows(
    small_pages, client, forum, customer, other_customer
):
    ordered = _threads(forum, customer, other_customer)
    expected = [t.pk for t in ordered if _visible_to_member(t, customer)]
    client.force_login(customer)

    pages = _walk(client, "/forums/general/")

    assert pages == [expected[i : i + 7] for i in range(0, len(expected), 7)]
    assert len(expected) == 35  # 40 less 2 hidden, 1 held of another member, 2 private of another member


def test_a_moderator_pages_through_hidden_and_held_threads_too(
    small_pages, client, forum, customer, other_customer, moderator
):
    ordered = [t.pk for t in _threads(forum, customer, other_customer)]
    client.force_login(moderator)

    pages = _walk(client, "/forums/general/")

    assert pages == [ordered[i : i + 7] for i in range(0, 40, 7)]


def test_deep_pages_of_a_filter_and_a_tag_keep_their_filter(small_pages, client, forum, customer, other_customer):
    from community.models import Tag

    ordered = _threads(forum, customer, other_customer)
    tag = Tag.objects.create(name="export", slug="export")
    tagged = [t for t in ordered if t.title.endswith(("0", "2", "4", "6", "8"))]
    for thread in tagged:
        thread.tags.add(tag)
    expected = [t.pk for t in tagged if _visible_to_member(t, customer)]

    pages = _walk(client, "/forums/general/?tag=export")

    # Anonymous: the held thread of `customer` is not shown either.
    assert [pk for page in pages for pk in page] == [pk for pk in expected if not Thread.objects.get(pk=pk).is_held]
    assert all(len(page) == 7 for page in pages[:-1])


def test_a_page_past_the_end_is_empty_without_a_next_link(small_pages, client, forum, customer, other_customer):
    _threads(forum, customer, other_customer)

    response = client.get("/forums/general/?page=500")

    assert response.status_code == 200
    assert response.context["page"].items == []
    assert response.context["page"].has_next is False
    assert 'rel="prev" href="?filter=newest&amp;page=499"' in response.content.decode()
    assert "There are no threads on this page." in response.content.decode()


def _posts(thread, authors, n):
    """n replies; each pair shares its creation time, so the id orders them."""
    now = timezone.now()
    Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                author=authors[i % len(authors)],
                body=f"reply {i}",
                body_html=f"<p>reply {i}</p>",
                created_at=now + timedelta(seconds=i // 2),
                status=PostStatus.HELD if i in (4, 9) else PostStatus.PUBLISHED,
            )
            for i in range(n)
        ]
    )
    return list(Post.objects.filter(thread=thread).order_by("created_at", "id"))


def test_every_thread_page_holds_exactly_its_posts(small_pages, client, thread, customer, other_customer, moderator):
    everything = _posts(thread, [other_customer, customer], 30)
    published = [p.pk for p in everything if p.status == PostStatus.PUBLISHED or p.author_id == customer.pk]
    client.force_login(customer)

    assert _walk(client, f"/forums/t/{thread.pk}/") == [published[i : i + 6] for i in range(0, len(published), 6)]

    client.force_login(moderator)
    every_pk = [p.pk for p in everything]
    assert _walk(client, f"/forums/t/{thread.pk}/") == [every_pk[i : i + 6] for i in range(0, len(every_pk), 6)]


def test_a_link_to_a_post_on_a_deep_page_lands_on_the_page_that_shows_it(small_pages, client, thread, other_customer):
    everything = _posts(thread, [other_customer], 30)
    target = everything[-3]  # the 29th post: page 5 of 6 per page

    response = client.get(f"/forums/p/{target.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/forums/t/{thread.pk}/?page=5#post-{target.pk}"
    page = client.get(response["Location"]).context["page"]
    assert target.pk in [p.pk for p in page.items]


def test_page_sizes_are_settings(settings, client, forum, customer, other_customer):
    _threads(forum, customer, other_customer)
    settings.FORUM_THREADS_PER_PAGE = 30

    response = client.get("/forums/general/")

    assert len(response.context["threads"]) == 30
    assert response.context["page"].has_next is True

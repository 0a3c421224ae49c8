"""Thread rows of the forum and tag lists, built per view in Python (community.fragments._RowParts)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.html import escape

from community import services
from community.models import Tag, Thread
from community.models.forum import ThreadState
from community.models.watching import WatchLevel
from tests.community.conftest import reply

ROW = re.compile(r'<li class="card thread-row">.*?</li>', re.S)


def _rows(client, url="/forums/general/") -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


@pytest.mark.django_db
def test_every_value_from_a_row_is_escaped(client, forum, customer):
    services.thread_create(
        forum=forum,
        author=customer,
        title='<script>alert(1)</script> & "quotes"',
        body="Body",
        tags=['x"><img src=y onerror=alert(2)>'],
    )
    (row,) = _rows(client)
    assert "<script>" not in row and "<img" not in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in row
    tag = Tag.objects.get()
    assert f'href="?tag={escape(tag.slug)}">#{escape(tag.name)}</a>' in row


@pytest.mark.django_db
def test_states_badges_replies_and_time_in_both_languages(client, forum, customer, other_customer, moderator):
    thread = services.thread_create(
        forum=forum, author=customer, title="Printer offline", body="Help", tags=["printer"]
    )
    answer = reply(thread, other_customer, "Turn it off and on.")
    reply(thread, other_customer, "Or check the cable.")
    services.answer_accept(thread=thread, post=answer, actor=customer)
    Thread.objects.filter(pk=thread.pk).update(is_pinned=True, state=ThreadState.LOCKED)
    (row,) = _rows(client)
    assert f'<a href="/forums/t/{thread.pk}/">Printer offline</a>' in row
    for badge in ('status">Pinned<', 'status--success">Answered<', 'status--warning">Locked<', "#printer", "2 replies"):
        assert badge in row, badge
    assert 'status">Open<' not in row
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d">', row)
    with translation.override("de"):
        client.cookies["django_language"] = "de"
        (german,) = _rows(client)
    for word in ("Angeheftet", "Beantwortet", "Gesperrt", "2 Antworten"):
        assert word in german, word


@pytest.mark.django_db
def test_staff_only_tags_show_to_moderators_only(client, forum, customer, moderator):
    thread = services.thread_create(forum=forum, author=customer, title="Refund", body="Please", tags=["billing"])
    # A staff-only routing tag as the services label it (name, slug, internal).
    Thread.objects.filter(pk=thread.pk).update(tag_labels=[["billing", "billing"], ["escalated", "escalated", True]])
    (member_row,) = _rows(client)
    assert "#escalated" not in member_row and "#billing" in member_row
    client.force_login(moderator)
    (staff_row,) = _rows(client)
    assert 'class="tag tag--internal" href="?tag=escalated">#escalated <small>(internal)</small>' in staff_row


@pytest.mark.django_db
def test_the_members_own_part_of_a_row(client, forum, customer, other_customer):
    thread = services.thread_create(forum=forum, author=customer, title="Scanner jams", body="Help")
    services.watch_set(user=customer, thread=thread, level=WatchLevel.WATCHING)
    client.force_login(customer)
    client.get(f"/forums/t/{thread.pk}/")  # read up to here
    reply(thread, other_customer, "One")
    reply(thread, other_customer, "Two")
    (row,) = _rows(client)
    assert 'status--followed">Watching<' in row
    assert 'data-unread-count="2">2 new</span>' in row
    assert f'href="/forums/t/{thread.pk}/unread/" data-first-unread>First unread' in row
    client.logout()
    (anonymous_row,) = _rows(client)
    assert "Watching" not in anonymous_row and "data-unread-count" not in anonymous_row

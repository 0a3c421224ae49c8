"""Bookmarks: keep a thread or a post, the bookmarks page (newest first, paginated, remove), who sees what;
watches, bookmarks and read positions in the member's export and gone after erasure."""

from __future__ import annotations

import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied

from community import selectors, services
from community.models import Bookmark, ThreadRead, Watch, WatchLevel
from consent import registry
from portal.roles import Role
from tests.community.conftest import reply
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _site(home_page):
    return home_page


@pytest.fixture
def keeper(db):
    return make_member(role=Role.CUSTOMER)


def test_toggle_keeps_and_drops_a_bookmark(thread, other_customer, keeper):
    answer = reply(thread, other_customer, "The answer")
    assert services.bookmark_toggle(user=keeper, thread=thread) is True
    assert services.bookmark_toggle(user=keeper, post=answer) is True
    assert set(Bookmark.objects.filter(user=keeper).values_list("thread_id", "post_id")) == {
        (thread.pk, None),
        (None, answer.pk),
    }
    assert services.bookmark_toggle(user=keeper, thread=thread) is False
    assert list(Bookmark.objects.filter(user=keeper).values_list("thread_id", "post_id")) == [(None, answer.pk)]


def test_a_member_cannot_bookmark_what_they_cannot_see(private_thread, keeper):
    with pytest.raises(PermissionDenied):
        services.bookmark_toggle(user=keeper, thread=private_thread)
    assert Bookmark.objects.count() == 0


def test_bookmark_buttons_work_without_javascript_and_answer_json(client, thread, other_customer, keeper):
    answer = reply(thread, other_customer, "The answer")
    client.force_login(keeper)
    response = client.post(f"/forums/t/{thread.pk}/bookmark/")
    assert response.status_code == 302 and response["Location"] == f"/forums/t/{thread.pk}/"
    html = client.get(f"/forums/t/{thread.pk}/").content.decode()
    assert f'action="/forums/t/{thread.pk}/bookmark/"' in html
    assert 'aria-pressed="true">Bookmark thread' in html
    assert f'action="/forums/p/{answer.pk}/bookmark/"' in html
    response = client.post(f"/forums/p/{answer.pk}/bookmark/", HTTP_ACCEPT="application/json")
    assert response.json() == {
        "bookmarked": True,
        "message": "Bookmarked. Find it under Bookmarks in your account.",
    }
    html = client.get(f"/forums/t/{thread.pk}/").content.decode()
    post_html = html[html.index(f'id="post-{answer.pk}"') :]
    assert 'aria-pressed="true">Bookmark<' in post_html.split("</article>")[0]


def test_bookmarks_page_lists_newest_first_paginated_and_removes(client, forum, customer, keeper, settings):
    threads = [services.thread_create(forum=forum, author=customer, title=f"Question {i}", body="x") for i in range(27)]
    for thread in threads:
        services.bookmark_toggle(user=keeper, thread=thread)
    client.force_login(keeper)
    response = client.get("/forums/bookmarks/")
    assert response.status_code == 200
    page = response.context["page"]
    assert [b.thread.title for b in page.items] == [f"Question {i}" for i in range(26, 1, -1)]
    assert page.has_next
    second = client.get("/forums/bookmarks/?page=2").context["page"]
    assert [b.thread.title for b in second.items] == ["Question 1", "Question 0"]
    target = second.items[0]
    response = client.post(f"/forums/bookmarks/{target.pk}/remove/", {"page": "2"})
    assert response["Location"] == "/forums/bookmarks/?page=2"
    assert not Bookmark.objects.filter(pk=target.pk).exists()
    assert Bookmark.objects.filter(user=keeper).count() == 26


def test_the_bookmarks_page_shows_a_post_and_leaves_out_what_became_invisible(
    client, thread, other_customer, moderator, keeper
):
    kept = reply(thread, other_customer, "Keep **this** answer")
    hidden = reply(thread, other_customer, "Soon hidden")
    services.bookmark_toggle(user=keeper, post=kept)
    services.bookmark_toggle(user=keeper, post=hidden)
    services.post_hide(post=hidden, moderator=moderator, reason="Spam")
    client.force_login(keeper)
    html = client.get("/forums/bookmarks/").content.decode()
    assert f'href="/forums/p/{kept.pk}/"' in html
    assert "Keep this answer" in html
    assert f"/forums/p/{hidden.pk}/" not in html
    services.thread_set_hidden(thread=thread, moderator=moderator, hidden=True, reason="Off topic")
    assert selectors.bookmarks_of(user=keeper).items == []


def test_nobody_else_sees_or_removes_a_members_bookmarks(client, thread, keeper, other_customer):
    services.bookmark_toggle(user=keeper, thread=thread)
    mark = Bookmark.objects.get(user=keeper)
    client.force_login(other_customer)
    assert client.get("/forums/bookmarks/").context["page"].items == []
    client.post(f"/forums/bookmarks/{mark.pk}/remove/")
    assert Bookmark.objects.filter(pk=mark.pk).exists()
    anonymous = client.__class__()
    assert anonymous.get("/forums/bookmarks/").status_code == 302


def test_bookmarks_page_budget_is_flat_in_rows(client, forum, customer, keeper, django_assert_num_queries):
    """Shell (session, user, site, brand, staff-role check) + the bookmarks with their threads and posts = 6."""
    threads = [services.thread_create(forum=forum, author=customer, title=f"Question {i}", body="x") for i in range(20)]
    for thread in threads[:10]:
        services.bookmark_toggle(user=keeper, thread=thread)
    for thread in threads[10:]:
        services.bookmark_toggle(user=keeper, post=reply(thread, customer, "answer"))
    client.force_login(keeper)
    with django_assert_num_queries(6):
        response = client.get("/forums/bookmarks/")
    assert len(response.context["bookmarks"]) == 20


def test_the_account_page_links_to_bookmarks(client, keeper):
    client.force_login(keeper)
    assert 'href="/forums/bookmarks/"' in client.get("/account/").content.decode()


# --- privacy: registry, export, erasure --------------------------------------------------------------------


def test_watches_bookmarks_and_read_positions_are_personal_data_deleted_on_erasure():
    for model in (Watch, Bookmark, ThreadRead):
        (rule,) = registry.rules_for(model)
        assert (rule.subject, rule.erasure) == ("user", registry.Erasure.DELETE)


@pytest.fixture
def followed(forum, thread, other_customer, keeper, client):
    """The keeper watches the forum, mutes the thread, bookmarks it and a reply, and has read the thread."""
    answer = reply(thread, other_customer, "An answer")
    services.watch_set(user=keeper, forum=forum, level=WatchLevel.WATCHING)
    services.watch_set(user=keeper, thread=thread, level=WatchLevel.MUTED)
    services.bookmark_toggle(user=keeper, thread=thread)
    services.bookmark_toggle(user=keeper, post=answer)
    client.force_login(keeper)
    client.get(f"/forums/t/{thread.pk}/")
    return answer


def test_the_export_holds_watches_bookmarks_and_read_positions(
    forum, thread, keeper, followed, django_capture_on_commit_callbacks
):
    from consent.dsar import services as dsar
    from consent.dsar.export import exports_dir

    with django_capture_on_commit_callbacks(execute=True):
        export = dsar.export_request(user=keeper)
    export.refresh_from_db()
    archive = zipfile.ZipFile(exports_dir() / export.file_name)
    watches = json.loads(archive.read("watches.json"))
    assert {(w["forum"], w["thread"], w["tag"], w["level"]) for w in watches} == {
        (forum.pk, None, None, "watching"),
        (None, thread.pk, None, "muted"),
    }
    bookmarks = json.loads(archive.read("bookmarks.json"))
    assert {(b["thread"], b["post"]) for b in bookmarks} == {(thread.pk, None), (None, followed.pk)}
    reads = json.loads(archive.read("read_positions.json"))
    assert [(r["thread"], r["last_read_post_id"]) for r in reads] == [(thread.pk, followed.pk)]


def test_erasure_deletes_watches_bookmarks_and_read_positions(keeper, other_customer, followed, dpo):
    from consent.dsar.services.erasure import member_erase

    bystander_mark = Bookmark.objects.create(user=other_customer, post=followed)
    member_erase(member=keeper, actor=dpo)
    assert Watch.objects.filter(user=keeper).count() == 0
    assert Bookmark.objects.filter(user=keeper).count() == 0
    assert ThreadRead.objects.filter(user=keeper).count() == 0
    assert list(Bookmark.objects.values_list("pk", flat=True)) == [bystander_mark.pk]

"""Faults found walking the forum as an author (issue 19): links to one's own edited or hidden post."""

from __future__ import annotations

import pytest

from community import services
from community.models import Post
from portal.models import Notification
from tests.community.conftest import reply

pytestmark = pytest.mark.django_db


def test_the_author_opens_the_history_of_their_own_edited_post(client, thread, customer, other_customer):
    """The "(edited)" mark links to the history for the author, and the history opens (403 before); others get neither."""
    post = reply(thread, customer, body="First words")
    services.post_edit(post=post, editor=customer, body="Second words")
    client.force_login(customer)
    page = client.get(f"/forums/t/{thread.pk}/").content.decode()
    assert f'href="/forums/p/{post.pk}/history/"' in page
    history = client.get(f"/forums/p/{post.pk}/history/")
    assert history.status_code == 200
    assert "First words" in history.content.decode()

    client.force_login(other_customer)
    page = client.get(f"/forums/t/{thread.pk}/").content.decode()
    assert f"/forums/p/{post.pk}/history/" not in page
    assert client.get(f"/forums/p/{post.pk}/history/").status_code == 403


def test_the_hidden_post_notification_leads_the_author_to_the_post(
    client, thread, customer, other_customer, moderator, django_capture_on_commit_callbacks
):
    """The notice "A moderator hid your post" opens the thread at the post with its reason; no "Edit" that would fail."""
    post = reply(thread, customer, body="Too much")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hide(post=post, moderator=moderator, reason="Off topic")
    notice = Notification.objects.get(recipient=customer, kind="community.moderation")
    assert notice.url == f"/forums/p/{post.pk}/"

    client.force_login(customer)
    response = client.get(notice.url)
    assert response.status_code == 302
    assert response["Location"] == f"/forums/t/{thread.pk}/#post-{post.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'id="post-{post.pk}"' in page
    assert "Off topic" in page
    assert f'href="/forums/p/{post.pk}/edit/"' not in page

    client.force_login(other_customer)
    assert client.get(notice.url).status_code == 404
    assert Post.objects.get(pk=post.pk).status == "hidden"


def _title(html: str) -> str:
    import re

    return re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1).strip()


def test_back_office_community_pages_have_a_title(client, thread, moderator):
    """The moderation queue, its log and the thread tools name themselves in the browser tab (not "- Wagtail")."""
    client.force_login(moderator)
    titles = [
        _title(client.get(url).content.decode())
        for url in ("/admin/community/queue/", "/admin/community/log/", f"/admin/community/threads/{thread.pk}/")
    ]
    assert titles == ["Moderation queue - Wagtail", "Moderation log - Wagtail", "Thread tools - Wagtail"]


def test_public_titles_separate_the_page_from_the_brand(client, home_page, thread, moderator):
    """Titles read "Chat console · Acme Community"; a thread's title with the separator too."""
    brand = _title(client.get("/").content.decode()).rsplit(" · ", 1)[-1]
    client.force_login(moderator)
    assert _title(client.get("/chat/console/").content.decode()) == f"Chat console · {brand}"
    assert _title(client.get(f"/forums/t/{thread.pk}/").content.decode()) == f"How do I reset my key? · {brand}"


def test_the_flag_reasons_are_a_group_named_by_its_question(client, thread, other_customer):
    """The radio group is a fieldset whose legend asks the question; no empty label is left."""
    question = Post.objects.get(thread=thread)
    client.force_login(other_customer)
    html = client.get(f"/forums/p/{question.pk}/flag/").content.decode()
    assert '<legend>Why should a moderator look at this post? <span aria-hidden="true">*</span></legend>' in html
    assert '<label for="">' not in html
    assert 'for="id_reason_0"' in html


def test_a_member_reports_the_same_post_once(client, thread, customer, other_customer, moderator):
    """A second report of the same post, also after the moderators dismissed the first, adds no flag and says so;
    an edit of the post after the decision makes it reportable again."""
    from community.models import Flag

    post = reply(thread, customer, body="Buy cheap keys")
    client.force_login(other_customer)
    assert client.post(f"/forums/p/{post.pk}/flag/", {"reason": "spam"}).status_code == 302
    services.flags_dismiss(post=post, moderator=moderator)
    response = client.post(f"/forums/p/{post.pk}/flag/", {"reason": "spam"}, follow=True)
    assert "You already reported this post." in response.content.decode()
    assert client.get(f"/forums/p/{post.pk}/flag/").status_code == 302
    services.post_flag(post=post, reporter=other_customer, reason="abuse")
    assert Flag.objects.filter(post=post, reporter=other_customer).count() == 1

    services.post_edit(post=post, editor=customer, body="Buy cheaper keys")
    services.post_flag(post=post, reporter=other_customer, reason="spam")
    assert Flag.objects.filter(post=post, reporter=other_customer).count() == 2


def test_a_markdown_image_is_a_link_and_the_writer_is_told(client, thread, other_customer):
    """An image from another site is not loaded: the preview and the published reply link to it, and the writer
    reads why in the preview and after posting."""
    body = "See ![the error dialog](https://img.example.org/error.png) please"
    link = '<a href="https://img.example.org/error.png" rel="nofollow ugc noopener">the error dialog</a>'
    notice = "Images from other sites are not shown: your post links to them instead."
    client.force_login(other_customer)
    preview = client.post(f"/forums/t/{thread.pk}/reply/", {"body": body, "action": "preview"}).content.decode()
    assert notice in preview
    assert link in preview
    assert "<img" not in preview
    page = client.post(f"/forums/t/{thread.pk}/reply/", {"body": body}, follow=True).content.decode()
    assert notice in page
    assert link in page
    plain = client.post(f"/forums/t/{thread.pk}/reply/", {"body": "No pictures here"}, follow=True).content.decode()
    assert notice not in plain

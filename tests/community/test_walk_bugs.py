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

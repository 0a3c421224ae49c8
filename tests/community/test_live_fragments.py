"""The post fragment a live thread page fetches: the post as the page renders it for this viewer, or a 404."""

from __future__ import annotations

import re

import pytest

from community import services
from tests.community.conftest import reply
from tests.community.test_blog import blog  # noqa: F401 - the blog fixture

pytestmark = pytest.mark.django_db


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _unmasked(html: str) -> str:
    """The HTML with its CSRF tokens left out: each response masks the same token differently."""
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', html)


def _fragment(client, post):
    return client.get(f"/forums/p/{post.pk}/fragment/")


def test_the_fragment_is_the_thread_pages_html_for_this_viewer(client, thread, customer, other_customer):
    """The asker gets exactly the article the thread page shows them: helpful, flag, quote and accept."""
    answer = reply(thread, other_customer, "Try **turning it off** and on again.")
    client.force_login(customer)
    page = _unmasked(client.get(f"/forums/t/{thread.pk}/").content.decode())
    response = _fragment(client, answer)
    assert response.status_code == 200
    data = response.json()
    assert data["post_id"] == answer.pk
    html = data["html"]
    assert _unmasked(html) in page  # the same include, the same viewer, the same HTML
    assert f'action="/forums/p/{answer.pk}/helpful/"' in html
    assert f'href="/forums/p/{answer.pk}/flag/"' in html
    assert f'href="/forums/t/{thread.pk}/reply/?quote={answer.pk}"' in html
    assert f'action="/forums/p/{answer.pk}/accept/"' in html
    assert f'href="/forums/p/{answer.pk}/edit/"' not in html
    assert "<strong>turning it off</strong>" in html
    assert data["announcement"] == f"New reply from {other_customer.handle}"
    assert (data["reply_count"], data["replies_heading"]) == (1, "1 reply")


def test_each_viewer_gets_their_own_buttons(client, thread, customer, other_customer, moderator):
    """The author may edit but not flag or mark helpful; a moderator gets the hide tools; a visitor none."""
    answer = reply(thread, other_customer, "My answer")
    client.force_login(other_customer)
    own = _fragment(client, answer).json()["html"]
    assert f'href="/forums/p/{answer.pk}/edit/"' in own
    assert f'href="/forums/p/{answer.pk}/flag/"' not in own
    assert f'action="/forums/p/{answer.pk}/helpful/"' not in own
    assert f'action="/forums/p/{answer.pk}/accept/"' not in own  # only the asker and moderators accept

    client.force_login(moderator)
    staff = _fragment(client, answer).json()["html"]
    assert f'action="/forums/p/{answer.pk}/moderate/"' in staff
    assert f'action="/forums/p/{answer.pk}/accept/"' in staff

    client.logout()
    visitor = _fragment(client, answer).json()["html"]
    assert "<form" not in visitor
    assert f'href="/forums/p/{answer.pk}/flag/"' not in visitor
    assert "Try" not in visitor and "My answer" in visitor


def test_the_viewers_own_helpful_mark_shows(client, thread, customer, other_customer):
    """After marking a post helpful, the re-fetched fragment shows the pressed button and the new count."""
    answer = reply(thread, other_customer, "Helpful answer")
    client.force_login(customer)
    response = client.post(f"/forums/p/{answer.pk}/helpful/", HTTP_ACCEPT="application/json")
    assert response.json() == {"marked": True, "count": 1}
    html = _fragment(client, answer).json()["html"]
    assert 'aria-pressed="true"' in html
    assert "Found helpful: 1" in html


def test_a_hidden_post_is_served_to_its_author_and_moderators_only(client, thread, customer, other_customer, moderator):
    answer = reply(thread, other_customer, "Buy cheap watches")
    services.post_hide(post=answer, moderator=moderator, reason="Spam")
    client.force_login(customer)
    assert _fragment(client, answer).status_code == 404
    client.logout()
    assert _fragment(client, answer).status_code == 404
    client.force_login(other_customer)
    own = _fragment(client, answer).json()
    assert "Hidden by a moderator" in own["html"] and "Spam" in own["html"]
    client.force_login(moderator)
    assert 'name="action" value="restore"' in _fragment(client, answer).json()["html"]


def test_a_private_thread_is_not_served_to_outsiders(client, private_thread, beta_member, customer, moderator):
    """A member without access to the private forum gets the same 404 as for a post that does not exist."""
    answer = reply(private_thread, moderator, "Beta answer")
    client.force_login(customer)
    assert _fragment(client, answer).status_code == 404
    assert client.get("/forums/p/999999/fragment/").status_code == 404
    client.logout()
    assert _fragment(client, answer).status_code == 404
    client.force_login(beta_member)
    assert "Beta answer" in _fragment(client, answer).json()["html"]


def test_the_fragment_has_a_fixed_query_budget(client, thread, customer, other_customer, django_assert_num_queries):
    answer = reply(thread, other_customer, "Budget")
    client.force_login(customer)
    _fragment(client, answer)  # warm the fragment cache and the shell's caches
    with django_assert_num_queries(5):  # session, user, post, thread, the viewer's helpful mark
        assert _fragment(client, answer).status_code == 200


def test_blog_comments_are_rendered_the_way_the_blog_page_shows_them(client, blog, moderator, customer):  # noqa: F811
    """A comment under a blog post comes live exactly as the blog page shows it: no accept, no moderator tools."""
    page = blog[1][0]
    thread = services.blog_comment_thread(page=page)
    comment = reply(thread, customer, "Nice post")
    client.force_login(moderator)
    html = _fragment(client, comment).json()["html"]
    assert _unmasked(html) in _unmasked(client.get("/blog/post-0/").content.decode())
    assert "Nice post" in html
    assert "/accept/" not in html and "/moderate/" not in html

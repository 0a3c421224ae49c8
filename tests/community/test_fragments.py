"""Thread pages and thread lists served from cached post/row fragments show each viewer exactly
what a fresh render shows them: no moderator tools, helpful marks or edit links leak between
viewers, and every change is visible at once."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from community import services
from tests.community.conftest import reply

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NONCE = re.compile(r'nonce="[^"]+"')


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    return NONCE.sub('nonce=""', html)  # the CSP nonce differs per response


def _fresh(client, url) -> str:
    cache.clear()
    return _html(client, url)


@pytest.fixture
def answered(thread, customer, other_customer, moderator):
    """A thread with a reply by another customer (marked helpful by the asker) and one by a moderator
    (marked helpful by the answerer)."""
    answer = reply(thread, other_customer, "Use the **reset** page.")
    staff_answer = reply(thread, moderator, "Or ask support.")
    services.reaction_toggle(post=answer, user=customer)
    services.reaction_toggle(post=staff_answer, user=other_customer)
    return thread


@pytest.fixture
def viewers(customer, other_customer, moderator):
    """Five situations; the answerer and the bystander differ only in the answerer's helpful mark."""
    from portal.roles import Role
    from tests.factories import make_member

    clients = {"anonymous": Client()}
    bystander = make_member(role=Role.CUSTOMER)
    for name, user in (
        ("asker", customer),
        ("answerer", other_customer),
        ("bystander", bystander),
        ("moderator", moderator),
    ):
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


@pytest.mark.parametrize("url_of", ["thread", "forum"])
def test_every_viewer_sees_a_fresh_render_after_others_filled_the_cache(answered, viewers, url_of):
    """Whoever filled the cache first, each viewer gets the HTML a render without cache gives them."""
    url = answered.get_absolute_url() if url_of == "thread" else answered.forum.get_absolute_url()
    fresh = {name: _fresh(client, url) for name, client in viewers.items()}
    for first in viewers:
        cache.clear()
        _html(viewers[first], url)
        for name, client in viewers.items():
            assert _html(client, url) == fresh[name], (first, name)


def test_viewer_specific_parts_differ_as_expected(answered, viewers):
    """The situations the fragment keys separate really render differently."""
    url = answered.get_absolute_url()
    pages = {name: _html(client, url) for name, client in viewers.items()}
    assert pages["moderator"].count("Hide post") == 3
    assert all("Hide post" not in pages[name] for name in ("anonymous", "asker", "answerer", "bystander"))
    assert pages["asker"].count("Helpful ✓") == 1
    assert pages["answerer"].count("Helpful ✓") == 1
    assert "Helpful ✓" not in pages["bystander"]
    assert pages["asker"].count("Accept this answer") == 2
    assert "Accept this answer" not in pages["answerer"]
    assert pages["answerer"].count(">Edit</a>") == 1
    assert "csrfmiddlewaretoken" not in pages["anonymous"].split('id="post-list"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    "change",
    ["edit", "helpful", "accept", "hide", "erase_author", "lock", "tag", "reply"],
)
def test_a_change_shows_at_once_on_cached_pages(answered, viewers, customer, other_customer, moderator, dpo, change):
    """After any change the cached thread page and thread list equal a fresh render."""
    urls = [answered.get_absolute_url(), answered.forum.get_absolute_url()]
    for client in viewers.values():
        for url in urls:
            _html(client, url)
    answer = answered.posts.get(author=other_customer)
    if change == "edit":
        services.post_edit(post=answer, editor=other_customer, body="Use the *new* reset page.")
    elif change == "helpful":
        services.reaction_toggle(post=answer, user=moderator)
    elif change == "accept":
        services.answer_accept(thread=answered, post=answer, actor=customer)
    elif change == "hide":
        services.post_hide(post=answer, moderator=moderator, reason="Off topic")
    elif change == "erase_author":
        from consent.dsar.services import member_erase

        member_erase(member=other_customer, actor=dpo)
    elif change == "lock":
        services.thread_set_locked(thread=answered, moderator=moderator, locked=True)
    elif change == "tag":
        services.thread_tag_add(thread=answered, name="billing", actor=moderator)
    elif change == "reply":
        reply(answered, moderator, "One more thing.")
    cached = {(name, url): _html(client, url) for name, client in viewers.items() for url in urls}
    cache.clear()
    for (name, url), html in cached.items():
        cache.clear()
        assert html == _html(viewers[name], url), (change, name, url)


def test_forms_in_cached_fragments_carry_a_token_the_server_accepts(answered, customer, other_customer):
    """The helpful button's form, served from a fragment another viewer's visit cached, posts fine."""
    other = Client()
    other.force_login(other_customer)
    other.get(answered.get_absolute_url())
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    html = client.get(answered.get_absolute_url()).content.decode()
    moderator_post = answered.posts.exclude(author__in=[customer, other_customer]).get()
    form = html.split(f'action="/forums/p/{moderator_post.pk}/helpful/"')[1].split("</form>")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(f"/forums/p/{moderator_post.pk}/helpful/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert moderator_post.reactions.filter(user=customer).count() == 1

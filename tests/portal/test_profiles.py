"""Public profile pages: only with a live ``public_profile`` consent, exact public counts, handles linked without extra queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community import services as community
from community.models import Forum, ModerationSettings
from consent.models import Purpose
from consent.services import consent_grant, consent_withdraw, notice_publish
from ideas import services as ideas
from ideas.models import Board
from portal.models import User
from portal.profiles import BIO_MAX, profile_for
from portal.roles import Role
from portal.templatetags.members import member_name
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _no_first_post_hold(db, home_page):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()


@pytest.fixture
def forum(db):
    return Forum.objects.create(name="General", slug="general")


def _public(user) -> User:
    consent_grant(user=user, purpose="public_profile")
    user.refresh_from_db()
    return user


def _url(user) -> str:
    return reverse("member_profile", args=[user.handle])


def test_without_consent_there_is_no_profile_and_the_handle_is_plain_text(client, customer):
    """No consent: 404, and the handle renders as text, not a link."""
    assert client.get(_url(customer)).status_code == 404
    assert str(member_name(customer)) == f'<span class="handle">@{customer.handle}</span>'
    assert customer.public_profile is False


def test_with_consent_the_handle_links_to_the_profile(client, customer):
    """Granting ``public_profile`` sets the mirrored flag in the same transaction and the page exists."""
    _public(customer)
    assert customer.public_profile is True
    assert str(member_name(customer)) == f'<a class="handle" href="/members/{customer.handle}/">@{customer.handle}</a>'
    response = client.get(_url(customer))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert f"@{customer.handle}" in body
    assert customer.email not in body
    assert customer.first_name not in body
    assert customer.date_joined.strftime("%Y") in body


def test_withdrawal_takes_the_page_down_at_once_even_with_a_stale_flag(client, customer):
    """The page asks the consent projection on every request, not the mirrored flag."""
    _public(customer)
    assert client.get(_url(customer)).status_code == 200
    consent_withdraw(user=customer, purpose="public_profile")
    customer.refresh_from_db()
    assert customer.public_profile is False
    assert client.get(_url(customer)).status_code == 404
    # A flag out of step with the ledger (e.g. written by hand) still shows no page.
    User.objects.filter(pk=customer.pk).update(public_profile=True)
    assert client.get(_url(customer)).status_code == 404


def test_a_material_notice_change_unlinks_the_handle_until_agreed_again(client, customer, administrator):
    """A lapsed consent (the notice changed materially) is no consent: flag off, page gone."""
    _public(customer)
    purpose = Purpose.objects.get(code="public_profile")
    notice_publish(purpose=purpose, text_en="New text.", text_de="Neuer Text.", material=True, actor=administrator)
    customer.refresh_from_db()
    assert customer.public_profile is False
    assert client.get(_url(customer)).status_code == 404


def test_an_erased_or_inactive_member_has_no_profile(client, customer):
    _public(customer)
    User.objects.filter(pk=customer.pk).update(is_active=False)
    assert client.get(_url(customer)).status_code == 404


def test_counts_are_exact_and_only_public_activity_is_listed(client, forum, customer, other_customer, moderator):
    """Threads, replies, accepted answers and ideas count public contributions only; private ones never show."""
    _public(customer)
    beta = Forum.objects.create(name="Beta", slug="beta", is_private=True)
    community.forum_grant_access(forum=beta, user=customer)
    mine = [
        community.thread_create(forum=forum, author=customer, title=f"Public question {i}", body="Text")
        for i in range(2)
    ]
    community.thread_create(
        forum=forum, author=customer, title="Private offline message", body="Secret", is_private=True
    )
    community.thread_create(forum=beta, author=customer, title="Beta forum question", body="Beta only")
    theirs = community.thread_create(forum=forum, author=other_customer, title="Their question", body="Help")
    answer = community.post_create(thread=theirs, author=customer, body="Try this")
    community.post_create(thread=theirs, author=customer, body="And this too")
    hidden = community.post_create(thread=theirs, author=customer, body="Rude words")
    community.post_hide(post=hidden, moderator=moderator, reason="Be kind")
    community.post_create(thread=mine[0], author=customer, body="Self reply")
    community.answer_accept(thread=theirs, post=answer, actor=other_customer)
    board = Board.objects.create(name="Cloud", slug="cloud")
    ideas.idea_create(board=board, author=customer, title="Dark mode please", body="")
    ideas.idea_create(board=board, author=customer, title="Export as PDF files", body="")
    ideas.idea_create(board=board, author=other_customer, title="Someone else's idea", body="")

    found = profile_for(handle=customer.handle)
    assert {count.code: count.value for count in found.counts} == {
        "threads": 2,
        "replies": 3,
        "accepted": 1,
        "ideas": 2,
    }
    titles = [item.title for item in found.activity]
    assert "Private offline message" not in titles
    assert "Beta forum question" not in titles
    assert "Someone else's idea" not in titles
    assert sorted(titles) == sorted(
        [
            "Public question 0",
            "Public question 1",
            "Their question",
            "Their question",
            "Public question 0",
            "Dark mode please",
            "Export as PDF files",
        ]
    )
    body = client.get(_url(customer)).content.decode()
    assert "Private offline message" not in body
    assert "Beta forum question" not in body
    assert "Rude words" not in body
    assert 'data-count="accepted"><dt>Accepted answers</dt><dd>1</dd>' in body


def test_profile_page_costs_a_fixed_number_of_queries(client, forum, customer, django_assert_num_queries):
    """Member, consent check, three forum counts, two forum lists, idea count and list (the shell is cached): nine."""
    _public(customer)
    thread = community.thread_create(forum=forum, author=customer, title="Public question one", body="Text")
    client.get(_url(customer))  # warm the site and brand caches
    with django_assert_num_queries(9):
        assert client.get(_url(customer)).status_code == 200
    for i in range(5):
        community.post_create(thread=thread, author=customer, body=f"More {i}")
        community.thread_create(forum=forum, author=customer, title=f"Another question {i}", body="Text")
    with django_assert_num_queries(9):
        assert client.get(_url(customer)).status_code == 200


def test_thread_page_links_consenting_authors_without_extra_queries(client, forum, customer, other_customer):
    """The thread page names a consenting author by a link and everybody else by text, from the user row."""
    _public(customer)
    thread = community.thread_create(forum=forum, author=customer, title="Linked author question", body="Text")
    community.post_create(thread=thread, author=other_customer, body="Plain reply")
    body = client.get(thread.get_absolute_url()).content.decode()
    assert f'<a class="handle" href="/members/{customer.handle}/">@{customer.handle}</a>' in body
    assert f'<span class="handle">@{other_customer.handle}</span>' in body
    assert f'href="/members/{other_customer.handle}/"' not in body


def test_bio_is_plain_text_and_length_limited(client, customer):
    """The bio is escaped on the page; an over-long one is refused with a message and nothing is saved."""
    _public(customer)
    client.force_login(customer)
    response = client.post(reverse("account"), {"save_bio": "1", "bio": "Hi <script>alert(1)</script>\r\n\r\n\r\nBye"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.bio == "Hi <script>alert(1)</script>\n\nBye"
    page = client.get(_url(customer)).content.decode()
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;<br><br>Bye" in page
    response = client.post(reverse("account"), {"save_bio": "1", "bio": "x" * (BIO_MAX + 1)})
    assert response.status_code == 200
    assert f"Use at most {BIO_MAX} characters (you used {BIO_MAX + 1})." in response.content.decode()
    customer.refresh_from_db()
    assert customer.bio == "Hi <script>alert(1)</script>\n\nBye"


def test_staff_choose_their_display_name_in_account_settings(client):
    """A moderator sets the name members see with the Team badge on the account page."""
    staff = make_member(role=Role.MODERATOR)
    client.force_login(staff)
    page = client.get(reverse("account")).content.decode()
    assert 'name="save_display_name"' in page
    client.post(reverse("account"), {"save_display_name": "1", "display_name": "Mona from Support"})
    staff.refresh_from_db()
    assert staff.display_name == "Mona from Support"
    assert "Mona from Support" in str(member_name(staff))
    assert "tag--team" in str(member_name(staff))


def test_account_page_tells_whether_the_profile_is_public(client, customer):
    client.force_login(customer)
    assert "Your profile page is off" in client.get(reverse("account")).content.decode()
    _public(customer)
    page = client.get(reverse("account")).content.decode()
    assert f'href="/members/{customer.handle}/"' in page

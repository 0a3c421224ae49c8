"""What the live bell and the live notifications list read: the header's hooks and the list fragment."""

from __future__ import annotations

import re

import pytest

from portal.notifications import notification_send, notifications_mark_read

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _notify(user, title):
    return notification_send(recipient=user, kind="account", message="portal.text", params={"title": title})


def test_the_list_fragment_is_the_pages_list(client, customer, other_customer):
    """The notifications page and its live refresh render the same list, with the state the page compares."""
    first = _notify(customer, "First notice")
    second = _notify(customer, "Second notice")
    _notify(other_customer, "Not yours")
    client.force_login(customer)
    fragment = client.get("/account/notifications/latest/").content.decode()
    assert f'data-latest-id="{second.pk}" data-unread="2"' in fragment
    assert fragment.index("Second notice") < fragment.index("First notice")
    assert "Not yours" not in fragment
    assert 'action="/account/notifications/read/"' in fragment
    page = client.get("/account/notifications/").content.decode()
    assert CSRF.sub("", fragment.strip()) in CSRF.sub("", page)  # tokens are masked anew per response
    assert first.pk < second.pk

    notifications_mark_read(user=customer)
    fragment = client.get("/account/notifications/latest/").content.decode()
    assert f'data-latest-id="{second.pk}" data-unread="0"' in fragment
    assert 'action="/account/notifications/read/"' not in fragment


def test_the_list_fragment_is_for_members_only(client):
    response = client.get("/account/notifications/latest/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_header_offers_the_live_badge_to_members_only(client, customer):
    """Members' pages carry the badge hooks and a polite status for the count; visitors' pages neither."""
    assert "data-notifications-live" not in client.get("/forums/").content.decode()
    _notify(customer, "Notice")
    client.force_login(customer)
    html = client.get("/forums/").content.decode()
    assert 'data-notifications-live="unread"' in html
    assert '<span class="badge" data-unread-count>1</span>' in html
    assert (
        '<span class="visually-hidden" role="status" aria-live="polite" data-notifications-status'
        ' data-message="Notifications: {count} unread"></span>'
    ) in html
    client.cookies["django_language"] = "de"
    assert 'data-message="Benachrichtigungen: {count} ungelesen"' in client.get("/forums/").content.decode()

"""Faults found walking the live chat (issue 19): staff workings shown to customers."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_only_staff_choose_how_they_hear_of_chats_transferred_to_them(client, customer, moderator):
    """The notification settings offer "Chats transferred to me" to moderators, never to customers."""
    client.force_login(customer)
    page = client.get(reverse("notifications")).content.decode()
    assert "Chats transferred to me" not in page
    assert 'name="in_app:chat.assigned"' not in page
    client.force_login(moderator)
    page = client.get(reverse("notifications")).content.decode()
    assert "Chats transferred to me" in page
    assert 'name="in_app:chat.assigned"' in page


def _back_office_in(user, language: str) -> None:
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def test_the_chat_console_speaks_the_back_office_language(client, moderator):
    """A moderator whose back office is German gets the console in German, though the portal profile says English."""
    assert moderator.preferred_language == "en"
    client.force_login(moderator)
    assert "<h1>Chat console</h1>" in client.get(reverse("chat:console")).content.decode()
    _back_office_in(moderator, "de")
    response = client.get(reverse("chat:console"))
    assert "<h1>Chat-Konsole</h1>" in response.content.decode()
    assert response["Content-Language"] == "de"

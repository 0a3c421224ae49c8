"""Faults found walking the knowledge base's back office (issue 19): the review ignored the back-office language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

pytestmark = pytest.mark.django_db


def test_the_kb_review_speaks_the_back_office_language(client, editor):
    """An editor whose back office is German reads the review report in German."""
    client.force_login(editor)
    assert "<h1>Articles to review</h1>" in client.get(reverse("knowledgebase:review")).content.decode()
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "de"
    profile.save()
    assert "<h1>Zu prüfende Artikel</h1>" in client.get(reverse("knowledgebase:review")).content.decode()

"""Fixtures of the API tests: tokens made through the token service, a client that sends them."""

from __future__ import annotations

import pytest

from api import services
from api.models import TokenKind
from community import services as community_services
from community.models import Forum, ModerationSettings


@pytest.fixture(autouse=True)
def _no_first_post_hold(db):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()


@pytest.fixture
def forum(db):
    return Forum.objects.create(name="General", slug="general", description="Anything")


def personal_token(user, scope="read", **kwargs) -> str:
    _token, secret = services.token_create(
        kind=TokenKind.PERSONAL, name="script", user=user, scopes=[scope], created_by=user, **kwargs
    )
    return secret


def integration_token(admin, acts_as, scopes, **kwargs) -> str:
    _token, secret = services.token_create(
        kind=TokenKind.INTEGRATION, name="crm tool", user=acts_as, scopes=scopes, created_by=admin, **kwargs
    )
    return secret


def auth(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def thread(forum, customer):
    return community_services.thread_create(
        forum=forum, author=customer, title="How do I reset my key?", body="I lost it."
    )

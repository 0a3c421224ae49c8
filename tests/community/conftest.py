"""Fixtures of the community tests: forums, a published thread, moderation settings."""

from __future__ import annotations

import pytest

from community import services
from community.models import Forum, ModerationSettings


@pytest.fixture(autouse=True)
def _no_first_post_hold(db):
    """Most tests post as established members; the hold has its own tests."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    return config


@pytest.fixture
def forum(db):
    return Forum.objects.create(name="General", slug="general", description="Anything")


@pytest.fixture
def private_forum(db):
    return Forum.objects.create(name="Beta", slug="beta", is_private=True)


@pytest.fixture
def beta_member(db, private_forum):
    """A customer with access to the private forum."""
    from portal.roles import Role
    from tests.factories import make_member

    member = make_member(role=Role.CUSTOMER)
    services.forum_grant_access(forum=private_forum, user=member)
    return member


@pytest.fixture
def thread(forum, customer):
    return services.thread_create(
        forum=forum, author=customer, title="How do I reset my key?", body="I lost my **key**.", tags=["api"]
    )


@pytest.fixture
def private_thread(private_forum, beta_member):
    return services.thread_create(
        forum=private_forum, author=beta_member, title="Secret beta question", body="Beta only text"
    )


def reply(thread, author, body="A reply"):
    return services.post_create(thread=thread, author=author, body=body)

"""Fixtures of the chat tests: a waiting chat, a taken chat, a forum, and socket helpers."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from community.chat import services


@pytest.fixture
def waiting_chat(customer):
    return services.chat_start(member=customer, topic="Invoice is missing", body="Where is my **March** invoice?")


@pytest.fixture
def active_chat(waiting_chat, moderator):
    return services.chat_take(chat=waiting_chat, moderator=moderator)


@pytest.fixture
def forum(db):
    from community.models import Forum, ModerationSettings

    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    return Forum.objects.create(name="General", slug="general", description="Anything")


def socket_app():
    from portal.routing import websocket_urlpatterns

    return URLRouter(websocket_urlpatterns)


async def connect(path: str, user=None):
    """A communicator on ``path`` as ``user`` (the AuthMiddleware's result put into the scope directly)."""
    from django.contrib.auth.models import AnonymousUser

    communicator = WebsocketCommunicator(socket_app(), path)
    communicator.scope["user"] = user if user is not None else AnonymousUser()
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def frames_until(communicator, frame_type: str, timeout: float = 3) -> list[dict]:
    """Every frame up to and including the first of ``frame_type``."""
    seen = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        seen.append(frame)
        if frame["type"] == frame_type:
            return seen


@pytest.fixture
def support_forum(forum):
    """The forum offline messages go to, as configured in the chat settings."""
    from community.chat.models import ChatSettings
    from community.models import Forum

    support = Forum.objects.create(name="Support", slug="support", order=5)
    config = ChatSettings.load()
    config.offline_forum = support
    config.save()
    return support


@pytest.fixture
def offline_hours(db):
    """Business hours on, with no opening hours on any day: support is offline now."""
    from community.chat.models import ChatSettings

    config = ChatSettings.load()
    config.hours_enabled = True
    config.save()
    return config

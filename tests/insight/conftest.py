"""A fixed community for the insight tests: six threads with known answer times, moods and clusters.

Times are relative to ``BASE`` (ten days ago, 08:00 local), so the figures fall in the "last 30 days".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import timezone

from community import services as community
from community.models import Forum, ModerationSettings
from ideas import services as idea_services
from ideas.models import Board
from portal.roles import Role
from tests.factories import make_member

# (author index, title, body, [(hours after opening, replier: member index or "staff", body)])
THREADS = [
    (
        0,
        "Rechnung ist falsch",
        "Meine Rechnung ist falsch und doppelt abgebucht. Das ist ärgerlich.",
        [(1, "staff", "Wir haben die Buchung korrigiert.")],
    ),
    (
        1,
        "Rechnung falsch abgebucht",
        "Die Rechnung wurde doppelt abgebucht, sehr schlecht.",
        [(2, 2, "Bei mir war es genauso."), (5, "staff", "Wir prüfen das.")],
    ),
    (
        2,
        "Invoice shows wrong amount",
        "My invoice shows the wrong amount. This is terrible.",
        [(30, "staff", "We corrected the invoice.")],
    ),
    (3, "Invoice amount wrong", "The invoice amount is wrong again, awful service.", [(3, 4, "Same here.")]),
    (4, "Router works great", "Love the new router, works great!", [(10, 5, "Danke, das hat geholfen!")]),
    (5, "Router firmware question", "Where can I download the firmware file?", []),
]


@dataclass
class Seed:
    billing: Forum
    general: Forum
    board: Board
    members: list
    staff: object
    threads: list
    base: dt.datetime


@pytest.fixture(autouse=True)
def _no_first_post_hold(db):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def seeded(db, moderator) -> Seed:
    """Six customers open six threads in "Billing" (product Router X); two more members post in "General"."""
    base = timezone.localtime(timezone.now() - dt.timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
    billing = Forum.objects.create(name="Billing", slug="billing", product="Router X")
    general = Forum.objects.create(name="General", slug="general")
    board = Board.objects.create(name="Router X", slug="router-x")
    members = [make_member(role=Role.CUSTOMER, first_name=f"Zelda{n}", last_name=f"Quux{n}") for n in range(8)]
    threads = []
    for index, (author, title, body, replies) in enumerate(THREADS):
        opened = base + dt.timedelta(hours=index)
        with at(opened):
            thread = community.thread_create(forum=billing, author=members[author], title=title, body=body)
        for after, who, text in replies:
            with at(opened + dt.timedelta(hours=after)):
                replier = moderator if who == "staff" else members[who]
                post = community.post_create(thread=thread, author=replier, body=text)
                if index == 0:
                    community.answer_accept(thread=thread, post=post, actor=members[author])
        threads.append(thread)
    with at(base + dt.timedelta(hours=12)):
        lounge = community.thread_create(
            forum=general, author=members[6], title="Hello everyone", body="Nice to meet you all here."
        )
        community.post_create(thread=lounge, author=members[7], body="Welcome, great to have you!")
        idea_services.idea_create(
            board=board, author=members[0], title="Dark mode for the router app", body="Please add a dark mode."
        )
    return Seed(billing, general, board, members, moderator, threads, base)

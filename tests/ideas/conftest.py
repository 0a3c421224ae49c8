"""Fixtures for the ideas tests: a board and ideas posted through the services."""

from __future__ import annotations

import itertools

import pytest

from ideas import services
from ideas.models import Board
from portal.roles import Role
from tests.factories import make_member

_titles = itertools.count(1)


@pytest.fixture
def board(db):
    return Board.objects.create(name="Acme Cloud", slug="acme-cloud", description="The web app.")


@pytest.fixture
def make_idea(board):
    """Post an idea through the service as a fresh member (or the given author)."""

    def make(*, author=None, title=None, body="Some **details**.", on_board=None):
        author = author or make_member(role=Role.CUSTOMER)
        return services.idea_create(
            board=on_board or board, author=author, title=title or f"Idea number {next(_titles)}", body=body
        )

    return make


@pytest.fixture
def idea(make_idea):
    return make_idea(title="Export reports as PDF")


def member_client(client_class, user):
    client = client_class()
    client.force_login(user)
    return client

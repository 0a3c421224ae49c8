"""Schemathesis against the running application's own OpenAPI document, through its WSGI stack in process.

Every operation is called with a member's write token and with an integration token holding every
integration scope: no answer may be a server error, have an undocumented status or media type, or
break its documented schema. The app is the same Django application Daphne serves (all middleware, the
real database); only the socket is left out, so the test stays within the normal suite's time budget.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.scopes import INTEGRATION_SCOPES
from community import services as community_services
from community.models import Forum
from ideas import services as idea_services
from ideas.models import Board
from portal.wsgi import application
from tests.api.conftest import integration_token, personal_token

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def _connection_kept():
    """Keep the test's database connection across requests, as Django's test client does.

    The WSGI handler closes old connections at the end of each request; inside the test's
    transaction that would drop the connection the test data lives in.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, settings, customer, administrator, _connection_kept):
    """A member's write token and an integration acting as an administrator, over a little content."""
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    forum = Forum.objects.create(name="General", slug="general")
    thread = community_services.thread_create(forum=forum, author=customer, title="How do I log in?", body="Help")
    community_services.post_create(thread=thread, author=administrator, body="Like this.")
    board = Board.objects.create(name="Ideas", slug="ideas")
    idea_services.idea_create(board=board, author=customer, title="Dark mode please", body="For the night.")
    return [
        personal_token(customer, "write"),
        integration_token(administrator, administrator, list(INTEGRATION_SCOPES)),
    ]


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_with_both_tokens(case, tokens):
    for secret in tokens:
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)

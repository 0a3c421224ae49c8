"""Fixtures of the intake tests: a real Dovecot on loopback, a CRM rule, a mailbox pointing at it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from crm import services as crm_services
from crm.models import ActionType, AssigneeStrategy, ConnectionKind, CrmConnection, TagRule
from intake import services
from intake.models import Mailbox, ProcessedAction, Security
from portal.roles import Role
from tests.crm.conftest import (  # noqa: F401  (a real webhook CRM on loopback, for the redaction tests)
    crm_store,
    receiver_factory,
    signing_secret,
    webhook_connection,
    webhook_receiver,
)
from tests.factories import make_member
from tests.intake.dovecot import Dovecot


@pytest.fixture(scope="session")
def dovecot_server():
    """One Dovecot for the session (starting takes a fraction of a second; each test empties it).

    Its directory is directly under the temporary directory: when the tests run as root, Dovecot's
    unprivileged account must be able to walk into it, which pytest's private tmp_path forbids.
    """
    root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server):
    """The session's Dovecot with an empty INBOX and no other folder."""
    if dovecot_server.process.poll() is not None:  # a fault test stopped it: bring it back
        dovecot_server.start()
    dovecot_server.clear()
    return dovecot_server


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.PORTAL_BASE_URL = "https://community.example.com"


@pytest.fixture
def other_moderator(db):
    return make_member(role=Role.MODERATOR)


@pytest.fixture
def crm_rule(db):
    """The CRM rule intake cards follow: the webhook connection, unassigned (first to claim)."""
    connection = crm_services.connection_save(
        connection=CrmConnection(
            name="Sales CRM", kind=ConnectionKind.WEBHOOK, url="http://127.0.0.1:9/hook"
        ),  # refused at once: delivery is not under test here
        secrets={"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    )
    return TagRule.objects.create(
        tag="outside",
        action_type=ActionType.INQUIRY,
        assignee_strategy=AssigneeStrategy.CLAIM,
        connection=connection,
    )


@pytest.fixture
def make_mailbox(crm_rule, dovecot):
    def make(**options) -> Mailbox:
        mailbox = Mailbox(
            name=options.pop("name", "Social notifications"),
            host="127.0.0.1",
            port=dovecot.port,
            security=Security.NONE,
            username=dovecot.user,
            rule=crm_rule,
            **options,
        )
        return services.mailbox_save(mailbox=mailbox, password=options.pop("password", dovecot.password))

    return make


@pytest.fixture
def mailbox(make_mailbox):
    return make_mailbox()


@pytest.fixture
def move_mailbox(make_mailbox):
    return make_mailbox(name="Moving", processed_action=ProcessedAction.MOVE, move_to="Done")

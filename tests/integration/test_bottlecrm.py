"""The BottleCRM adapter against a real BottleCRM (PyPI django-crm 1.35) on loopback.

BottleCRM runs in its own Python 3.12 virtualenv (``tests/integration/bottlecrm/harness.py``); the
portal runs in this process behind pytest-django's live server, which BottleCRM's signed
``task.updated`` webhooks reach. Nothing of BottleCRM is mocked: tasks are created, read and
completed through its REST API with a personal access token, its webhooks are signed and sent by
its own code. The first run builds the virtualenv and migrates (a few minutes), later runs reuse both.
"""

from __future__ import annotations

import pytest

from community import services as community
from community.models import Forum, ModerationSettings
from consent import services as consent
from consent.dsar.services import member_erase
from consent.pseudonyms import pseudonym_for
from crm import services
from crm.models import (
    ActionType,
    CardState,
    ConnectionKind,
    CrmConnection,
    InterestCard,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    Priority,
    TagRule,
)
from portal.roles import Role
from tests.factories import make_member
from tests.integration.bottlecrm import harness

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_URL = "https://community.example.com"
APP_URL = "https://crm.example.com"
BODY = "We are 40 people and want to buy the enterprise plan before the end of the quarter."


@pytest.fixture(scope="session")
def _bottlecrm_boot():
    """Starts installing and starting BottleCRM at once; the portal's test database is built meanwhile."""
    booting = harness.Booting()
    yield booting
    booting.stop()


@pytest.fixture
def bottlecrm(_bottlecrm_boot, live_server):
    """The running BottleCRM (org, admin, token); its webhooks may reach the live server's port."""
    problem = crm = None
    try:
        crm = _bottlecrm_boot.get()
    except harness.SetupError as exc:
        problem = str(exc)
    if problem is not None:  # a failure, never a skip: CI must not pass without the real CRM
        pytest.fail(f"BottleCRM could not be set up, so its integration test cannot run:\n{problem}", pytrace=False)
    crm.allow_port(live_server.thread.port)
    return crm


@pytest.fixture(autouse=True)
def _portal(settings, db):
    """Links in cards point at the public site; the live server answers on 127.0.0.1; posts publish at once."""
    settings.PORTAL_BASE_URL = BASE_URL
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()


@pytest.fixture
def connection(bottlecrm, live_server):
    """A portal connection to BottleCRM and BottleCRM's webhook endpoint pointing back at its hook."""
    connection = services.connection_save(
        connection=CrmConnection(
            name="BottleCRM", kind=ConnectionKind.BOTTLECRM, url=bottlecrm.url + "/", options={"app_url": APP_URL}
        ),
        secrets={"api_token": bottlecrm.token},
    )
    endpoint = bottlecrm.endpoint(f"http://127.0.0.1:{live_server.thread.port}/crm/hooks/{connection.pk}/")
    services.connection_save(connection=connection, secrets={"signing_secret": endpoint.secret})
    connection.endpoint = endpoint
    TagRule.objects.create(
        tag="lead", action_type=ActionType.LEAD, priority=Priority.HIGH, due_in_days=2, connection=connection
    )
    return connection


@pytest.fixture
def member(db):
    return make_member(role=Role.CUSTOMER, email="zelda.quixote@example.org", first_name="Zelda", last_name="Quixote")


@pytest.fixture
def moderator(db):
    return make_member(role=Role.MODERATOR)


def _tagged_thread(member, moderator, title):
    forum = Forum.objects.create(name="Acme Cloud", slug="acme-cloud", product="Acme Cloud")
    thread = community.thread_create(forum=forum, author=member, title=title, body=BODY)
    community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    return thread, InterestCard.objects.get(source_id=thread.pk, tag="lead")


def _identifiers(user) -> list[str]:
    return [user.email, user.first_name, user.last_name, user.get_full_name(), user.handle]


def test_tagged_thread_becomes_one_bottlecrm_task_and_its_completion_marks_the_card_processed(
    bottlecrm, connection, member, moderator
):
    """Tag -> one task in BottleCRM (pseudonymous author, priority, due date, links); a re-send updates
    the same task; completing it in BottleCRM sends a signed task.updated that marks the card processed."""
    thread, card = _tagged_thread(member, moderator, "Can we get a quote for 40 seats?")

    assert card.state == CardState.SENT
    (listed,) = bottlecrm.tasks_titled(str(card.key))
    assert card.remote_id == listed["id"]
    assert card.remote_url == f"{APP_URL}/tasks/{listed['id']}"
    assert card.identity_sent is False
    task = bottlecrm.task(card.remote_id)
    link = BASE_URL + thread.get_absolute_url()
    assert task["title"] == f"Lead: Can we get a quote for 40 seats? [{card.key}]"
    assert task["description"] == "\n".join(
        [
            BODY,
            "",
            f"Link: {link}",
            f"Reply: {link}#reply",
            f"Member: {pseudonym_for(member, connection.pseudonym_domain)}",
        ]
    )
    assert (task["status"], task["priority"], task["due_date"]) == ("New", "High", card.due_on.isoformat())
    for identifier in _identifiers(member):
        assert identifier.lower() not in (task["title"] + task["description"]).lower()

    assert services.card_claim(card=card, user=moderator) is True  # a second upsert of the same card
    assert [t["id"] for t in bottlecrm.tasks_titled(str(card.key))] == [card.remote_id]
    assert OutboxMessage.objects.filter(card=card, kind=OutboxKind.UPSERT, state=OutboxState.SENT).count() == 2
    assert bottlecrm.deliveries(connection.endpoint) == []  # nothing changed, so BottleCRM reported nothing

    completed = bottlecrm.task_update(card.remote_id, status="Completed")

    assert completed.status_code == 200, completed.text
    card.refresh_from_db()
    assert (card.state, card.remote_status) == (CardState.PROCESSED, "Completed")
    assert card.processed_at is not None
    deliveries = bottlecrm.deliveries(connection.endpoint)
    assert [(d["event"], d["status"], d["response_status"]) for d in deliveries] == [("task.updated", "succeeded", 200)]
    assert deliveries[0]["payload"]["data"]["status"] == "Completed"
    assert bottlecrm.task(card.remote_id)["status"] == "Completed"


def test_with_consent_the_task_names_the_member_and_erasure_redacts_it(bottlecrm, connection, member, moderator):
    """With crm_followup consent BottleCRM gets name and e-mail; erasing the member takes both back out."""
    consent.consent_grant(user=member, purpose="crm_followup")
    thread, card = _tagged_thread(member, moderator, "Zelda asks about 40 seats")

    assert card.identity_sent is True
    task = bottlecrm.task(card.remote_id)
    link = BASE_URL + thread.get_absolute_url()
    assert task["title"] == f"Lead: Zelda asks about 40 seats [{card.key}]"
    assert task["description"] == "\n".join(
        [
            BODY,
            "",
            f"Link: {link}",
            f"Reply: {link}#reply",
            "Member: Zelda Quixote",
            "E-mail: zelda.quixote@example.org",
        ]
    )

    member_erase(member=member, actor=make_member(role=Role.DPO))

    card.refresh_from_db()
    assert card.identity_sent is False
    assert OutboxMessage.objects.get(card=card, kind=OutboxKind.REDACT).state == OutboxState.SENT
    redacted = bottlecrm.task(card.remote_id)
    assert redacted["title"] == f"Lead: Lead {str(card.key)[:8]} [{card.key}]"
    assert redacted["description"] == "\n".join([f"Link: {link}", f"Reply: {link}#reply", "Member: -"])
    assert [t["id"] for t in bottlecrm.tasks_titled(str(card.key))] == [card.remote_id]
    for identifier in ["zelda.quixote@example.org", "Zelda", "Quixote"]:
        assert identifier.lower() not in (redacted["title"] + redacted["description"]).lower()


def test_a_completion_signed_with_another_secret_is_refused(bottlecrm, connection, member, moderator):
    """A portal holding the wrong endpoint secret answers BottleCRM's webhook 401 and leaves the card open."""
    services.connection_save(connection=connection, secrets={"signing_secret": "whsec_not-the-endpoint-secret"})
    _, card = _tagged_thread(member, moderator, "Can we get a quote for 12 seats?")

    assert bottlecrm.task_update(card.remote_id, status="Completed").status_code == 200

    card.refresh_from_db()
    assert (card.state, card.processed_at, card.remote_status) == (CardState.SENT, None, "")
    (delivery,) = bottlecrm.deliveries(connection.endpoint)
    assert (delivery["event"], delivery["response_status"]) == ("task.updated", 401)
    assert delivery["payload"]["data"]["id"] == card.remote_id

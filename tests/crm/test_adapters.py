"""Salesforce and HubSpot adapters against local servers that answer like the real services.

BottleCRM runs for real in tests/integration/test_bottlecrm.py; here only what its adapter sends.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from consent import services as consent
from crm import services
from crm.adapters.bottlecrm import KEY_IN_TITLE, BottleCrmAdapter
from crm.models import CardState, ConnectionKind, CrmConnection, InterestCard, OutboxMessage, OutboxState, TagRule
from portal.roles import Role
from tests.crm.fakes import FakeHubSpot, FakeSalesforce
from tests.factories import make_member


@pytest.fixture
def zelda(db):
    """The member the fake CRMs know as a contact (by e-mail)."""
    return make_member(role=Role.CUSTOMER, email="zelda.quixote@example.org", first_name="Zelda", last_name="Quixote")


@pytest.fixture
def salesforce(receiver_factory):
    fake = FakeSalesforce(client_id="portal-app", client_secret="sf-secret")
    receiver = receiver_factory(fake)
    fake.base = receiver.url
    return fake


@pytest.fixture
def salesforce_rule(db, salesforce):
    from crm.adapters import salesforce as adapter_module

    adapter_module._tokens.clear()
    connection = services.connection_save(
        connection=CrmConnection(
            name="Salesforce", kind=ConnectionKind.SALESFORCE, url=salesforce.base, client_id="portal-app"
        ),
        secrets={"client_secret": "sf-secret"},
    )
    return TagRule.objects.create(tag="lead", action_type="lead", priority="high", connection=connection)


@pytest.fixture
def hubspot(receiver_factory):
    fake = FakeHubSpot(token="pat-na1-test")
    fake.receiver = receiver_factory(fake)
    return fake


@pytest.fixture
def hubspot_rule(db, hubspot):
    connection = services.connection_save(
        connection=CrmConnection(
            name="HubSpot", kind=ConnectionKind.HUBSPOT, url=hubspot.receiver.url, options={"portal_id": 4711}
        ),
        secrets={"api_token": "pat-na1-test"},
    )
    return TagRule.objects.create(tag="lead", action_type="lead", priority="high", connection=connection)


# --- Salesforce ---------------------------------------------------------------------------------------------


def test_salesforce_upsert_creates_then_updates_one_task(
    zelda, make_thread, moderator, tag, salesforce_rule, salesforce
):
    """201 on the first upsert, 200 on the next: one Task, its id and Lightning link on the card."""
    tag(make_thread(zelda), moderator)
    card = InterestCard.objects.get()
    assert list(salesforce.tasks) == [str(card.key)]
    task = salesforce.tasks[str(card.key)]
    assert task["Subject"] == "[lead] Can we get a quote?"
    assert task["Priority"] == "High"
    assert task["ActivityDate"] == card.due_on.isoformat()
    assert task["WhoId"] is None
    assert (card.state, card.remote_id) == (CardState.SENT, task["Id"])
    assert card.remote_url == f"{salesforce.base}/lightning/r/Task/{task['Id']}/view"

    services.card_claim(card=card, user=moderator)
    assert services.outbox_sweep()["enqueued"] == 1
    assert len(salesforce.tasks) == 1
    assert [c[0] for c in salesforce.calls] == ["PATCH", "PATCH"]
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 2


def test_salesforce_who_id_only_with_consent(zelda, make_thread, moderator, tag, salesforce_rule, salesforce):
    """Without consent the contact is never looked up; with it, WhoId links the member's Contact."""
    tag(make_thread(zelda, title="First question"), moderator)
    assert not any(path.endswith("/query") for _, path, _ in salesforce.calls)

    consent.consent_grant(user=zelda, purpose="crm_followup")
    tag(make_thread(zelda, title="Second question"), moderator)
    second = InterestCard.objects.get(title="Second question")
    assert salesforce.tasks[str(second.key)]["WhoId"] == "003000000000001"
    first = InterestCard.objects.get(title="First question")
    assert salesforce.tasks[str(first.key)]["WhoId"] is None


def test_salesforce_expired_token_is_refreshed_once(make_thread, customer, moderator, tag, salesforce_rule, salesforce):
    """A 401 INVALID_SESSION_ID fetches a new token and repeats the call; the send succeeds."""
    tag(make_thread(customer, title="First quote"), moderator)
    assert salesforce.token_requests == 1
    salesforce.expire_tokens()
    tag(make_thread(customer, title="Second quote"), moderator)

    assert salesforce.token_requests == 2
    assert len(salesforce.tasks) == 2
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 2


def test_salesforce_429_and_5xx_retry_300_is_dead(make_thread, customer, moderator, tag, salesforce_rule, salesforce):
    """429 honours Retry-After, 503 retries, 300 (several Tasks with the key) goes dead."""
    salesforce.forced = [(429, {"Retry-After": "90"}, [{"errorCode": "REQUEST_LIMIT_EXCEEDED"}])]
    tag(make_thread(customer, title="Limited"), moderator)
    limited = OutboxMessage.objects.get(card__title="Limited")
    assert limited.state == OutboxState.FAILED
    assert limited.next_attempt_at >= limited.updated_at + timedelta(seconds=90)

    salesforce.forced = [(503, {}, [{"errorCode": "SERVER_UNAVAILABLE"}])]
    tag(make_thread(customer, title="Down again"), moderator)
    assert OutboxMessage.objects.get(card__title="Down again").state == OutboxState.FAILED

    thread = make_thread(customer, title="Twice over")
    salesforce.duplicates.add(str(InterestCard.key_for(source_type="forum_thread", source_id=thread.pk, tag="lead")))
    tag(thread, moderator)
    dead = OutboxMessage.objects.get(card__title="Twice over")
    assert dead.state == OutboxState.DEAD
    assert "several Tasks" in dead.last_error


def test_salesforce_status_by_polling(make_thread, customer, moderator, tag, salesforce_rule, salesforce):
    """A Task closed in Salesforce marks its card processed on the next poll; open ones stay open."""
    tag(make_thread(customer, title="Done soon"), moderator)
    tag(make_thread(customer, title="Still open"), moderator)
    done = InterestCard.objects.get(title="Done soon")
    salesforce.complete(str(done.key))

    assert services.connection_poll(connection=salesforce_rule.connection) == 2
    done.refresh_from_db()
    assert (done.state, done.remote_status) == (CardState.PROCESSED, "Completed")
    assert InterestCard.objects.get(title="Still open").processed_at is None
    assert CrmConnection.objects.get(pk=salesforce_rule.connection_id).last_polled_at is not None


# --- HubSpot -------------------------------------------------------------------------------------------------


def test_hubspot_batch_upsert_is_idempotent_on_the_key(make_thread, customer, moderator, tag, hubspot_rule, hubspot):
    """Every request matches the OpenAPI schema; two upserts of one card leave one task."""
    tag(make_thread(customer), moderator)
    card = InterestCard.objects.get()
    task = hubspot.tasks[str(card.key)]
    assert task["properties"]["hs_task_subject"] == "[lead] Can we get a quote?"
    assert task["properties"]["hs_task_priority"] == "HIGH"
    assert task["properties"]["hs_task_status"] == "NOT_STARTED"
    assert task["properties"]["hs_timestamp"] == f"{card.due_on.isoformat()}T09:00:00Z"
    assert card.remote_id == task["id"]
    assert card.remote_url == f"https://app.hubspot.com/contacts/4711/record/0-27/{task['id']}"

    services.card_claim(card=card, user=moderator)
    services.outbox_sweep()
    assert len(hubspot.tasks) == 1
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 2


def test_hubspot_contact_association_only_with_consent(zelda, make_thread, moderator, tag, hubspot_rule, hubspot):
    """No contact search without consent; with it the task is associated to the contact (type 204)."""
    tag(make_thread(zelda, title="Anonymous"), moderator)
    assert not any("contacts" in path for _, path, _ in hubspot.calls)
    assert hubspot.associations == set()

    consent.consent_grant(user=zelda, purpose="crm_followup")
    tag(make_thread(zelda, title="Known member"), moderator)
    known = InterestCard.objects.get(title="Known member")
    assert hubspot.associations == {(known.remote_id, "901")}


def test_hubspot_redaction_drops_the_association(
    zelda, make_thread, moderator, tag, hubspot_rule, hubspot, django_capture_on_commit_callbacks
):
    """Withdrawal rewrites the task pseudonymously and removes the contact association."""
    consent.consent_grant(user=zelda, purpose="crm_followup")
    tag(make_thread(zelda), moderator)
    assert len(hubspot.associations) == 1

    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_withdraw(user=zelda, purpose="crm_followup")
    assert hubspot.associations == set()
    body = next(iter(hubspot.tasks.values()))["properties"]["hs_task_body"]
    assert "zelda" not in body.lower()


def test_hubspot_rate_limit_headers_slow_the_adapter(make_thread, customer, moderator, tag, hubspot_rule, hubspot):
    """With one call left in the window the adapter waits for the window before going on."""
    hubspot.remaining = 1
    started = time.monotonic()
    tag(make_thread(customer), moderator)
    assert time.monotonic() - started >= 0.3
    assert OutboxMessage.objects.get().state == OutboxState.SENT


def test_hubspot_429_and_5xx_are_retried(make_thread, customer, moderator, tag, hubspot_rule, hubspot):
    """429 with Retry-After and 502 leave rows failed for later; nothing is written."""
    hubspot.forced = [
        (429, {"Retry-After": "10"}, {"status": "error", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"}),
        (502, {}, {"status": "error"}),
    ]
    tag(make_thread(customer, title="Alpha quote"), moderator)
    tag(make_thread(customer, title="Bravo quote"), moderator)
    rows = OutboxMessage.objects.order_by("card__title")
    assert [r.state for r in rows] == [OutboxState.FAILED, OutboxState.FAILED]
    assert rows[0].next_attempt_at >= rows[0].updated_at + timedelta(seconds=10)
    assert hubspot.tasks == {}


def test_hubspot_status_by_polling(make_thread, customer, moderator, tag, hubspot_rule, hubspot):
    """A task completed in HubSpot marks its card processed on the next poll."""
    tag(make_thread(customer), moderator)
    card = InterestCard.objects.get()
    hubspot.complete(str(card.key))

    assert services.connection_poll(connection=hubspot_rule.connection) == 1
    card.refresh_from_db()
    assert (card.state, card.remote_status) == (CardState.PROCESSED, "COMPLETED")


def test_hubspot_wrong_token_is_dead(make_thread, customer, moderator, tag, hubspot_rule, hubspot):
    """A refused token (401) will not fix itself: the row is dead at once."""
    services.connection_save(connection=hubspot_rule.connection, secrets={"api_token": "revoked"})
    tag(make_thread(customer), moderator)
    assert OutboxMessage.objects.get().state == OutboxState.DEAD
    assert hubspot.tasks == {}


# --- BottleCRM (the real one: tests/integration/test_bottlecrm.py) ------------------------------------------


def _bottlecrm_payload(**changes) -> dict:
    payload = {
        "action_type": "lead",
        "title": "Can we get a quote?",
        "text": "We are 40 people.",
        "source_url": "https://community.example.com/forums/t/7/",
        "reply_url": "https://community.example.com/forums/t/7/#reply",
        "author": {"pseudonym": "crm-7f3a"},
        "priority": "high",
        "due_on": "2026-03-04",
        "processed": False,
    }
    return payload | changes


def test_bottlecrm_task_fields_are_stored_as_bottlecrm_keeps_them():
    """The title ends with the card key within BottleCRM's 200 characters; the notes have no outer blank
    lines (BottleCRM trims them), so a redaction without text reads back exactly as sent."""
    card = InterestCard(key=uuid.UUID("0b7c6a52-5d1e-5c7a-9f0e-2a4b6c8d0e1f"))
    adapter = BottleCrmAdapter(CrmConnection(kind=ConnectionKind.BOTTLECRM, url="http://127.0.0.1:9/"))
    try:
        fields = adapter._fields(card, _bottlecrm_payload())
        redacted = adapter._fields(card, _bottlecrm_payload(title="Lead 0b7c6a52", text="", author={"deleted": True}))
        long_title = adapter._fields(card, _bottlecrm_payload(title="x" * 300))["title"]
    finally:
        adapter.close()

    assert fields == {
        "title": f"Lead: Can we get a quote? [{card.key}]",
        "description": "We are 40 people.\n\nLink: https://community.example.com/forums/t/7/\n"
        "Reply: https://community.example.com/forums/t/7/#reply\nMember: crm-7f3a",
        "status": "New",
        "priority": "High",
        "due_date": "2026-03-04",
    }
    assert redacted["description"] == (
        "Link: https://community.example.com/forums/t/7/\nReply: https://community.example.com/forums/t/7/#reply\n"
        "Member: -"
    )
    assert len(long_title) == 199
    assert KEY_IN_TITLE.search(long_title).group(1) == str(card.key)

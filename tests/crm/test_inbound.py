"""CRM status comes back through signed webhooks (Standard Webhooks, BottleCRM), verified against the raw body."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from crm import services
from crm.models import CardState, ConnectionKind, CrmConnection, InterestCard, TagRule
from crm.signing import SignatureError, bottlecrm_sign, bottlecrm_verify, new_secret, standard_headers, standard_verify


@pytest.fixture
def sent_card(thread, moderator, tag, lead_rule):
    tag(thread, moderator)
    return InterestCard.objects.get()


def _signed(secret: str, document: dict, *, msg_id: str = "msg_1", at: datetime | None = None):
    body = json.dumps(document)
    signature = Webhook(secret).sign(msg_id, at or datetime.now(tz=UTC), body)
    stamp = int((at or datetime.now(tz=UTC)).timestamp())
    return body, {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(stamp), "HTTP_WEBHOOK_SIGNATURE": signature}


def _post(client, connection, body, headers):
    return client.post(f"/crm/hooks/{connection.pk}/", data=body, content_type="application/json", **headers)


def test_signed_done_status_marks_the_card_processed(client, sent_card, webhook_connection, signing_secret):
    """A correctly signed "done" from the CRM marks the card processed, once."""
    document = {"type": "task.status", "data": {"key": str(sent_card.key), "status": "done", "id": "T-1"}}
    body, headers = _signed(signing_secret, document)

    response = _post(client, webhook_connection, body, headers)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "processed": True}
    sent_card.refresh_from_db()
    assert sent_card.state == CardState.PROCESSED
    assert sent_card.remote_status == "done"
    first = sent_card.processed_at
    assert first is not None

    assert _post(client, webhook_connection, body, headers).status_code == 200  # replayed: same outcome
    sent_card.refresh_from_db()
    assert sent_card.processed_at == first


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "edited_body", "stale", "future", "missing_headers"],
)
def test_badly_signed_status_is_refused_and_changes_nothing(
    client, sent_card, webhook_connection, signing_secret, tamper
):
    """Wrong secret, an edited body, a timestamp outside five minutes or no headers: 401, card untouched."""
    document = {"type": "task.status", "data": {"key": str(sent_card.key), "status": "done"}}
    at = {"stale": datetime.now(tz=UTC) - timedelta(minutes=6), "future": datetime.now(tz=UTC) + timedelta(minutes=6)}
    body, headers = _signed(new_secret() if tamper == "wrong_secret" else signing_secret, document, at=at.get(tamper))
    if tamper == "edited_body":
        body = body.replace('"done"', '"open"')
    if tamper == "missing_headers":
        headers = {}

    response = _post(client, webhook_connection, body, headers)
    assert response.status_code == 401
    sent_card.refresh_from_db()
    assert (sent_card.state, sent_card.processed_at, sent_card.remote_status) == (CardState.SENT, None, "")


def test_signed_garbage_is_a_bad_request(client, sent_card, webhook_connection, signing_secret):
    """A valid signature over something that is not a status event is refused with 400."""
    body, headers = _signed(signing_secret, {"type": "task.status", "data": {"status": 3}})
    assert _post(client, webhook_connection, body, headers).status_code == 400
    sent_card.refresh_from_db()
    assert sent_card.processed_at is None


def test_unknown_connection_and_unknown_card(client, sent_card, webhook_connection, signing_secret):
    """Unknown connection: 404. Unknown card key: accepted (202) but nothing changes."""
    body, headers = _signed(signing_secret, {"type": "task.status", "data": {"key": "nope", "status": "done"}})
    assert client.post("/crm/hooks/999999/", data=body, content_type="application/json", **headers).status_code == 404
    assert _post(client, webhook_connection, body, headers).status_code == 202
    assert InterestCard.objects.filter(processed_at__isnull=False).count() == 0


def test_reopened_task_clears_processed(client, sent_card, webhook_connection, signing_secret):
    """When the CRM reopens a task, the card is no longer processed."""
    for status in ("done", "open"):
        body, headers = _signed(
            signing_secret,
            {"type": "task.status", "data": {"key": str(sent_card.key), "status": status}},
            msg_id=status,
        )
        assert _post(client, webhook_connection, body, headers).status_code == 200
    sent_card.refresh_from_db()
    assert (sent_card.state, sent_card.processed_at, sent_card.remote_status) == (CardState.SENT, None, "open")


def test_own_signatures_verify_with_the_independent_library():
    """What the adapter signs, the standardwebhooks package accepts, and vice versa."""
    secret = new_secret()
    body = b'{"a":1}'
    headers = standard_headers(secret=secret, msg_id="card-1", body=body)
    assert Webhook(secret).verify(body.decode(), headers) == {"a": 1}

    at = datetime.now(tz=UTC)
    theirs = {
        "webhook-id": "x",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign("x", at, body.decode()),
    }
    assert standard_verify(secret=secret, headers=theirs, body=body) == "x"
    with pytest.raises(SignatureError):
        standard_verify(secret=new_secret(), headers=theirs, body=body)


def test_bottlecrm_signature_scheme():
    """``t=<unix>,v1=<hex HMAC-SHA256("<t>." + body)>`` with the endpoint secret; five-minute tolerance."""
    import hashlib
    import hmac

    body = b'{"event":"task.updated"}'
    header = bottlecrm_sign(secret="s3cret", timestamp=1_700_000_000, body=body)
    assert header == "t=1700000000,v1=" + hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    bottlecrm_verify(secret="s3cret", header=header, body=body, now=1_700_000_100)
    for secret, now in (("other", 1_700_000_100), ("s3cret", 1_700_000_400)):
        with pytest.raises(SignatureError):
            bottlecrm_verify(secret=secret, header=header, body=body, now=now)


def test_bottlecrm_task_updated_webhook_marks_processed(client, thread, moderator, tag, db):
    """BottleCRM's signed task.updated with status Completed marks the card whose key ends the title."""
    connection = services.connection_save(
        connection=CrmConnection(name="Bottle", kind=ConnectionKind.BOTTLECRM, url="http://127.0.0.1:9/"),
        secrets={"api_token": "bcrm_pat_x", "signing_secret": "endpoint-secret"},
    )
    TagRule.objects.create(tag="lead", action_type="lead", connection=connection)
    tag(thread, moderator)  # the send fails (nothing listens), the card exists
    card = InterestCard.objects.get()
    document = {
        "id": "evt-1",
        "event": "task.updated",
        "data": {"id": "a1b2", "title": f"Lead: Can we get a quote? [{card.key}]", "status": "Completed"},
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    signature = bottlecrm_sign(secret="endpoint-secret", timestamp=int(time.time()), body=body)

    bad = client.post(
        f"/crm/hooks/{connection.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_BOTTLECRM_SIGNATURE="t=1,v1=00",
    )
    assert bad.status_code == 401
    ok = client.post(
        f"/crm/hooks/{connection.pk}/", data=body, content_type="application/json", HTTP_X_BOTTLECRM_SIGNATURE=signature
    )
    assert ok.status_code == 200
    card.refresh_from_db()
    assert (card.state, card.remote_status, card.remote_id) == (CardState.PROCESSED, "Completed", "a1b2")


def test_a_status_echo_is_not_news_for_the_crm(client, sent_card, webhook_connection, signing_secret):
    """A CRM that reports a status for our own write (an echo) changes no content marker: nothing is re-queued."""
    from crm.models import OutboxMessage

    before = (sent_card.updated_at, OutboxMessage.objects.count())
    document = {"type": "task.status", "data": {"key": str(sent_card.key), "status": "in_progress", "id": "T-1"}}
    body, headers = _signed(signing_secret, document)
    assert _post(client, webhook_connection, body, headers).json() == {"status": "ok", "processed": False}
    sent_card.refresh_from_db()
    assert sent_card.remote_status == "in_progress"
    assert (sent_card.updated_at, OutboxMessage.objects.count()) == before

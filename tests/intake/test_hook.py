"""The inbound hook: Standard Webhooks signatures, one card per message id, 401 and nothing stored on a bad signature."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from crm.models import InterestCard
from crm.signing import new_secret, standard_headers
from intake import services
from intake.models import HookSource, IntakeMail


@pytest.fixture
def secret():
    return new_secret()


@pytest.fixture
def hook_source(crm_rule, secret):
    return services.hook_source_save(source=HookSource(name="Brand monitor", rule=crm_rule), secret=secret)


MENTION = {
    "source_type": "x",
    "action": "mention",
    "url": "https://x.com/kim/status/1",
    "author": {"name": "Kim K."},
    "title": "Kim mentioned @examplebrand",
    "text": "Does anyone know if <b>@examplebrand</b> ships to Austria?",
}


def _post(client, source, body: bytes, headers: dict):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post(reverse("intake:hook", args=[source.pk]), body, content_type="application/json", **extra)


def test_signed_push_becomes_one_card(client, hook_source, secret):
    """A signed mention becomes a card; the same message id again changes nothing."""
    body = json.dumps(MENTION).encode()
    headers = standard_headers(secret=secret, msg_id="msg_1", body=body)

    first = _post(client, hook_source, body, headers)
    again = _post(client, hook_source, body, headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "duplicate"
    record = IntakeMail.objects.get()
    assert (record.hook, record.message_id, record.source_type, record.action_type) == (
        hook_source,
        "msg_1",
        "x",
        "mention",
    )
    assert record.text == "Does anyone know if @examplebrand ships to Austria?"
    card = record.card
    assert (card.source_type, card.action_type, card.outside_author, card.source_url, card.title) == (
        "x",
        "mention",
        "Kim K.",
        "https://x.com/kim/status/1",
        "Kim mentioned @examplebrand",
    )
    hook_source.refresh_from_db()
    assert (hook_source.cards_created, hook_source.rejected) == (1, 0)


def test_wrong_signature_is_401_and_stores_nothing(client, hook_source):
    """Signed with another secret: 401, no record, no card; the rejection shows on the health panel."""
    body = json.dumps(MENTION).encode()
    headers = standard_headers(secret=new_secret(), msg_id="msg_2", body=body)

    response = _post(client, hook_source, body, headers)

    assert response.status_code == 401
    assert IntakeMail.objects.count() == 0
    assert InterestCard.objects.count() == 0
    hook_source.refresh_from_db()
    assert hook_source.rejected == 1
    assert hook_source.last_error.startswith("invalid signature")


def test_tampered_body_is_401(client, hook_source, secret):
    """A body changed after signing is refused."""
    body = json.dumps(MENTION).encode()
    headers = standard_headers(secret=secret, msg_id="msg_3", body=body)

    response = _post(client, hook_source, body.replace(b"Austria", b"Germany"), headers)

    assert response.status_code == 401
    assert IntakeMail.objects.count() == 0


def test_invalid_payload_is_400_and_stores_nothing(client, hook_source, secret):
    """Signed but without text: 400 with the reason, nothing stored."""
    body = json.dumps({"source_type": "x"}).encode()
    headers = standard_headers(secret=secret, msg_id="msg_4", body=body)

    response = _post(client, hook_source, body, headers)

    assert (response.status_code, response.json()) == (400, {"error": "text is required"})
    assert IntakeMail.objects.count() == 0

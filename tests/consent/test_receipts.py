"""Receipts are JWS (EdDSA/Ed25519) an independent library verifies; the verify page and JWKS work for anyone."""

from __future__ import annotations

import base64
import json

import pytest
from django.urls import reverse
from jwcrypto import jwk, jws

from consent import merkle
from consent.models import ConsentEvent
from consent.receipts import KANTARA_VERSION, jwks, receipt_for, verify_receipt

pytestmark = pytest.mark.django_db


def _verify_with_jwcrypto(token: str, keys: dict) -> dict:
    key_set = jwk.JWKSet.from_json(json.dumps(keys))
    signed = jws.JWS()
    signed.deserialize(token)
    kid = signed.jose_header["kid"]
    signed.verify(key_set.get_key(kid), alg="EdDSA")
    return json.loads(signed.payload)


def test_jwcrypto_verifies_a_receipt_with_the_published_jwks(client, customer_with_history):
    event = ConsentEvent.objects.get(index=2)
    published = client.get(reverse("consent:jwks")).json()
    assert published == jwks()
    assert published["keys"][0]["kty"] == "OKP" and published["keys"][0]["crv"] == "Ed25519"
    claims = _verify_with_jwcrypto(receipt_for(event), published)
    assert claims["version"] == KANTARA_VERSION
    assert claims["consentReceiptID"] == str(event.record_id)
    assert claims["consentState"] == "withdrawn" and claims["eventKind"] == "withdraw"
    assert claims["services"][0]["purposes"][0]["purposeCategory"] == ["crm_followup"]
    ledger = claims["ledger"]
    assert (ledger["index"], ledger["treeSize"], ledger["entry"]) == (2, 3, event.payload)
    leaf = merkle.leaf_hash(ledger["entry"].encode())
    assert base64.b64encode(leaf).decode() == ledger["leafHash"]
    proof = [base64.b64decode(h) for h in ledger["inclusionProof"]]
    merkle.verify_inclusion(2, 3, leaf, proof, base64.b64decode(ledger["rootHash"]))


def test_jwcrypto_rejects_a_tampered_receipt(customer_with_history):
    token = receipt_for(ConsentEvent.objects.get(index=0))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["consentState"] = "granted" if claims["consentState"] != "granted" else "withdrawn"
    forged = header + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + "." + signature
    with pytest.raises(jws.InvalidJWSSignature):
        _verify_with_jwcrypto(forged, jwks())
    result = verify_receipt(forged)
    assert not result.valid and result.error == "the signature does not match"


def test_receipts_are_deterministic_and_verify_against_the_ledger(customer_with_history):
    event = ConsentEvent.objects.get(index=1)
    assert receipt_for(event) == receipt_for(event)
    result = verify_receipt(receipt_for(event))
    assert result.valid
    assert [name for name, ok in result.checks if ok] == ["signature", "entry", "fields", "inclusion", "ledger"]


def test_the_verify_page_accepts_a_genuine_receipt_and_refuses_garbage(client, customer_with_history):
    token = receipt_for(ConsentEvent.objects.get(index=0))
    response = client.post(reverse("consent:receipt_verify"), {"receipt": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-verify-result="valid"' in html and "This receipt is genuine." in html
    for bad in ("not a receipt", token[:-4] + "AAAA", "a.b.c", "é" * 100):
        response = client.post(reverse("consent:receipt_verify"), {"receipt": bad})
        assert response.status_code == 422
        assert 'data-verify-result="invalid"' in response.content.decode()
    assert client.post(reverse("consent:receipt_verify"), {"receipt": ""}).status_code == 400
    assert client.post(reverse("consent:receipt_verify"), {"receipt": "x" * 70_000}).status_code == 400


def test_the_verify_page_takes_an_uploaded_file(client, customer_with_history):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = receipt_for(ConsentEvent.objects.get(index=1))
    upload = SimpleUploadedFile("receipt.jws", token.encode(), content_type="application/jose")
    response = client.post(reverse("consent:receipt_verify"), {"receipt_file": upload})
    assert response.status_code == 200 and 'data-verify-result="valid"' in response.content.decode()
    binary = SimpleUploadedFile("receipt.jws", b"\xff\xfe\x00", content_type="application/octet-stream")
    assert client.post(reverse("consent:receipt_verify"), {"receipt_file": binary}).status_code == 400


def test_a_receipt_whose_entry_left_the_ledger_fails_the_ledger_check(customer_with_history, attacker):
    event = ConsentEvent.objects.get(index=1)
    token = receipt_for(event)
    attacker.set(1, "leaf_hash", "0" * 64)
    result = verify_receipt(token)
    assert not result.valid
    assert dict(result.checks) == {"signature": True, "entry": True, "fields": True, "inclusion": True, "ledger": False}


def test_members_download_only_their_own_receipts(client, customer_with_history, other_customer):
    event = ConsentEvent.objects.get(index=0)
    url = reverse("consent:receipt_download", args=[event.record_id])
    assert client.get(url).status_code == 302  # login first
    client.force_login(other_customer)
    assert client.get(url).status_code == 404
    client.force_login(customer_with_history)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="consent-receipt-{event.record_id}.jws"'
    assert verify_receipt(response.content.decode()).valid


def test_signing_key_rotation_keeps_old_receipts_verifiable(customer_with_history, settings):
    from consent.keys import b64url, current_jwk

    token = receipt_for(ConsentEvent.objects.get(index=0))
    old_x = current_jwk()["x"]
    settings.RECEIPT_SIGNING_KEY = b64url(bytes(range(32)))
    assert not verify_receipt(token).valid
    settings.RECEIPT_RETIRED_PUBLIC_KEYS = [old_x]
    assert verify_receipt(token).valid
    assert [k["x"] for k in jwks()["keys"]][1] == old_x


def test_receipt_subject_is_the_ledger_pseudonym_not_an_identifier(customer_with_history):
    claims = verify_receipt(receipt_for(ConsentEvent.objects.get(index=0))).claims
    text = json.dumps(claims)
    assert customer_with_history.email not in text and customer_with_history.handle not in text

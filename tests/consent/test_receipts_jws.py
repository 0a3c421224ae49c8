"""Receipts and checkpoints are signed and verified through jwcrypto; the verifier refuses every other kind of token."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from consent.keys import b64url, current_jwk
from consent.ledger import checkpoint_now, verify
from consent.models import ConsentEvent, LedgerCheckpoint
from consent.receipts import MAX_RECEIPT_LENGTH, ReceiptError, jwks, receipt_for, sign, verify_jws, verify_receipt
from portal.keys import decode_key

# Signed by the hand-written signer before jwcrypto, under RECEIPT_SIGNING_KEY = OLD_SEED.
OLD_SEED = bytes(range(100, 132))
OLD_PUBLIC_X = "C7w0aldmfDgBIL2cf9flHSxf3-o3zS9b9AWyxr9vLXg"
OLD_KID = "_aGLP6XUoPZHhE76d5kH7ePrMxKrtMZuLejRbmEUbTk"
OLD_CLAIMS = {
    "consentReceiptID": "6f1c1a52-0000-4000-8000-000000000001",
    "consentState": "granted",
    "language": "de",
    "note": "Zustimmung erteilt – Grüße",
    "iat": 1700000000,
}
OLD_RECEIPT = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6Il9hR0xQNlhVb1BaSGhFNzZkNWtIN2VQck14S3J0TVp1TGVqUmJtRVViVGsiLCJ0eXAiOiJKV1QifQ."
    "eyJjb25zZW50UmVjZWlwdElEIjoiNmYxYzFhNTItMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAxIiwiY29uc2VudFN0YXRlIjoiZ3Jh"
    "bnRlZCIsImlhdCI6MTcwMDAwMDAwMCwibGFuZ3VhZ2UiOiJkZSIsIm5vdGUiOiJadXN0aW1tdW5nIGVydGVpbHQg4oCTIEdyw7zDn2UifQ."
    "y8u-S-CnJaB5MTfXUlOoAauLLJcki-RWbZh5PTUOYj3-mYQsJapXCnM1pwavvFp555vgO305MMeCNQwVFHAZDw"
)
OLD_STATEMENT = {"tree_size": 3, "root_hash": "ab" * 32, "created_at": "2024-01-02T03:04:05.000000Z"}
OLD_CHECKPOINT = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6Il9hR0xQNlhVb1BaSGhFNzZkNWtIN2VQck14S3J0TVp1TGVqUmJtRVViVGsiLCJ0eXAiOiJKV1QifQ."
    "eyJjcmVhdGVkX2F0IjoiMjAyNC0wMS0wMlQwMzowNDowNS4wMDAwMDBaIiwicm9vdF9oYXNoIjoiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi"
    "YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYiIsInRyZWVfc2l6ZSI6M30."
    "PFIPYWHD3GX6IqayHXdCXiLYPDKndit62UFhz-q6OTnc4Mz501YXpxIQZ4DCqsro3nADpG4c1ASDw5v8MeP-DQ"
)


@pytest.fixture
def old_key(settings):
    settings.RECEIPT_SIGNING_KEY = b64url(OLD_SEED)
    settings.RECEIPT_RETIRED_PUBLIC_KEYS = []
    return settings


def _segment(value) -> str:
    data = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return b64url(data)


def _forge(header, payload, *, seed: bytes = OLD_SEED) -> str:
    """A compact JWS with any header and payload, signed with raw Ed25519 (as an attacker holding a key would)."""
    signing_input = f"{_segment(header)}.{_segment(payload)}"
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(signing_input.encode())
    return f"{signing_input}.{b64url(signature)}"


def _refused(token: str, message: str) -> None:
    with pytest.raises(ReceiptError) as caught:
        verify_jws(token)
    assert str(caught.value) == message


def test_tokens_signed_before_jwcrypto_still_verify_and_are_signed_byte_for_byte_the_same(old_key):
    assert verify_jws(OLD_RECEIPT) == OLD_CLAIMS
    assert verify_jws(OLD_CHECKPOINT) == OLD_STATEMENT
    assert sign(OLD_CLAIMS) == OLD_RECEIPT
    assert sign(OLD_STATEMENT) == OLD_CHECKPOINT
    assert jwks() == {
        "keys": [{"kty": "OKP", "crv": "Ed25519", "x": OLD_PUBLIC_X, "kid": OLD_KID, "alg": "EdDSA", "use": "sig"}]
    }


def test_a_retired_public_key_still_verifies_what_it_signed(old_key):
    old_key.RECEIPT_SIGNING_KEY = b64url(bytes(range(32)))
    _refused(OLD_RECEIPT, "signed with a key this portal does not publish")
    old_key.RECEIPT_RETIRED_PUBLIC_KEYS = [OLD_PUBLIC_X, current_jwk()["x"]]  # the current key listed again: once
    assert verify_jws(OLD_RECEIPT) == OLD_CLAIMS
    assert [key["kid"] for key in jwks()["keys"]] == [current_jwk()["kid"], OLD_KID]
    assert verify_jws(sign({"a": 1})) == {"a": 1}


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "kid": OLD_KID},
        {"alg": "None", "kid": OLD_KID},
        {"alg": "HS256", "kid": OLD_KID},
        {"alg": "ES256", "kid": OLD_KID},
        {"alg": "Ed25519", "kid": OLD_KID},
        {"alg": ["EdDSA"], "kid": OLD_KID},
        {"kid": OLD_KID},
    ],
)
def test_any_algorithm_but_eddsa_is_refused(old_key, header):
    _refused(_forge(header, OLD_CLAIMS), "only EdDSA (Ed25519) receipts are accepted")


def test_unsigned_and_hmac_confused_tokens_are_refused(old_key):
    import hashlib
    import hmac

    unsigned = f"{_segment({'alg': 'none', 'kid': OLD_KID})}.{_segment(OLD_CLAIMS)}."
    _refused(unsigned, "not a JWS in compact serialisation")
    signing_input = f"{_segment({'alg': 'HS256', 'kid': OLD_KID})}.{_segment(OLD_CLAIMS)}"
    for secret in (OLD_PUBLIC_X.encode(), base64.urlsafe_b64decode(OLD_PUBLIC_X + "=")):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        _refused(f"{signing_input}.{b64url(mac)}", "only EdDSA (Ed25519) receipts are accepted")


@pytest.mark.parametrize("kid", ["", "unknown", None, ["x"], {"kid": OLD_KID}, OLD_KID.lower()])
def test_a_key_id_the_portal_does_not_publish_is_refused(old_key, kid):
    header = {"alg": "EdDSA"} if kid is None else {"alg": "EdDSA", "kid": kid}
    _refused(_forge(header, OLD_CLAIMS), "signed with a key this portal does not publish")


def test_a_published_key_id_on_a_signature_by_another_key_is_refused(old_key):
    _refused(
        _forge({"alg": "EdDSA", "kid": OLD_KID}, OLD_CLAIMS, seed=bytes(32)),
        "the signature does not match",
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"crit": ["exp"], "exp": 1},
        {"crit": ["b64"], "b64": False},
        {"crit": ["alg"]},
        {"crit": []},
        {"crit": 5},
        {"b64": True},
    ],
)
def test_critical_header_parameters_are_refused(old_key, extra):
    """RFC 7515 section 4.1.11: a verifier that does not act on every critical parameter must reject."""
    token = _forge({"alg": "EdDSA", "kid": OLD_KID, **extra}, OLD_CLAIMS)
    with pytest.raises(ReceiptError):
        verify_jws(token)
    assert not verify_receipt(token).valid


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "the receipt is not well-formed"),
        ("granted", "the receipt is not well-formed"),
        (None, "the receipt is not well-formed"),
        (42, "the receipt is not well-formed"),
        (b"not json", "the receipt is not well-formed base64url JSON"),
        (b"\xff\xfe\xfd", "the receipt is not well-formed base64url JSON"),
        (b'{"a": 1', "the receipt is not well-formed base64url JSON"),
    ],
)
def test_a_signed_payload_that_is_not_a_json_object_is_refused(old_key, payload, message):
    _refused(_forge({"alg": "EdDSA", "kid": OLD_KID}, payload), message)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "not a JWS in compact serialisation"),
        ("not a receipt", "not a JWS in compact serialisation"),
        ("a.b", "not a JWS in compact serialisation"),
        ("a.b.c.d", "not a JWS in compact serialisation"),
        ("..", "not a JWS in compact serialisation"),
        (OLD_RECEIPT + "=", "not a JWS in compact serialisation"),
        (OLD_RECEIPT.replace(".", " . "), "not a JWS in compact serialisation"),
        ("é" * 100, "not a JWS in compact serialisation"),
        ("a.b.c", "the receipt is not well-formed base64url JSON"),
        (f"{b64url(b'not json')}.{_segment({})}.AAAA", "the receipt is not well-formed base64url JSON"),
        (f"{_segment([1, 2])}.{_segment({})}.AAAA", "the receipt is not well-formed base64url JSON"),
        (f"{_segment('EdDSA')}.{_segment({})}.AAAA", "the receipt is not well-formed base64url JSON"),
        (f"{b64url(b'null')}.{_segment({})}.AAAA", "the receipt is not well-formed base64url JSON"),
        (f"{b64url(b'[' * 20000)}.{_segment({})}.AAAA", "the receipt is not well-formed base64url JSON"),
        (f"{b64url(bytes([0xFF]) * 9)}.{_segment({})}.AAAA", "the receipt is not well-formed base64url JSON"),
        ("A" * (MAX_RECEIPT_LENGTH + 1), "the receipt is too large"),
    ],
)
def test_malformed_tokens_are_refused(old_key, token, message):
    _refused(token, message)


def test_a_genuine_receipt_in_json_serialisation_is_refused(old_key):
    """Only the compact form is a receipt; jwcrypto on its own would take the JSON forms too."""
    protected, payload, signature = OLD_RECEIPT.split(".")
    flattened = json.dumps({"protected": protected, "payload": payload, "signature": signature})
    general = json.dumps({"payload": payload, "signatures": [{"protected": protected, "signature": signature}]})
    for token in (flattened, general):
        _refused(token, "not a JWS in compact serialisation")


def test_a_tampered_receipt_from_the_ledger_is_refused(customer_with_history):
    token = receipt_for(ConsentEvent.objects.get(index=0))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["consentState"] = "withdrawn"
    _refused(f"{header}.{_segment(claims)}.{signature}", "the signature does not match")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    _refused(f"{header}.{payload}.{flipped}", "the signature does not match")
    assert verify_receipt(token).valid


@pytest.mark.parametrize("forgery", ["alg_none", "other_key", "crit"])
def test_a_checkpoint_with_a_forged_signature_fails_ledger_verification(
    customer_with_history, settings, forgery, attacker
):
    """A forged checkpoint naming the true root still breaks ``consent_verify``."""
    checkpoint_now()
    checkpoint = LedgerCheckpoint.objects.order_by("tree_size").last()
    statement = verify_jws(checkpoint.signature)
    kid = current_jwk()["kid"]
    seed = decode_key(settings.RECEIPT_SIGNING_KEY)
    forged = {
        "alg_none": f"{_segment({'alg': 'none', 'kid': kid})}.{_segment(statement)}.AAAA",
        "other_key": _forge({"alg": "EdDSA", "kid": kid}, statement, seed=bytes(32)),
        "crit": _forge({"alg": "EdDSA", "kid": kid, "crit": ["x"], "x": 1}, statement, seed=seed),
    }[forgery]
    assert verify().ok
    with transaction.atomic():
        attacker.set_checkpoint(checkpoint.tree_size, "signature", forged)
        result = verify()
        transaction.set_rollback(True)
    assert not result.ok
    assert result.problem.startswith(f"checkpoint at size {checkpoint.tree_size}: bad signature")
    assert verify().ok

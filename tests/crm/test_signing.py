"""Standard Webhooks signatures go through the standardwebhooks package; every bad input is a SignatureError."""

from __future__ import annotations

import time

import pytest

from crm.signing import SignatureError, new_secret, standard_headers, standard_verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"type":"task.status","data":{"key":"k","status":"done"}}'


def test_the_signature_matches_the_standard_webhooks_example():
    """The worked example of the Standard Webhooks specification (and of the package's own tests)."""
    headers = standard_headers(
        secret=SECRET, msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", body=b'{"test": 2432232314}', now=1614265330
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_headers_in_any_case_verify_and_return_the_message_id():
    headers = standard_headers(secret=SECRET, msg_id="m-1", body=BODY)
    assert standard_verify(secret=SECRET, headers=headers, body=BODY) == "m-1"
    shouted = {name.upper(): value for name, value in headers.items()}
    assert standard_verify(secret=SECRET, headers=shouted, body=BODY) == "m-1"
    several = {**headers, "webhook-signature": "v2,abc v1,AAAA " + headers["webhook-signature"]}
    assert standard_verify(secret=SECRET, headers=several, body=BODY) == "m-1"


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-signature": "v1"},
        {"webhook-signature": "v1,a,b"},
        {"webhook-signature": "v1,not base64!"},
        {"webhook-signature": ""},
        {"webhook-timestamp": "soon"},
        {"webhook-timestamp": "nan"},
        {"webhook-timestamp": str(int(time.time()) - 301)},
        {"webhook-timestamp": str(int(time.time()) + 301)},
        {"webhook-id": ""},
        {"webhook-id": "m-2"},
    ],
)
def test_malformed_or_mismatched_headers_are_a_signature_error(change):
    headers = {**standard_headers(secret=SECRET, msg_id="m-1", body=BODY), **change}
    with pytest.raises(SignatureError):
        standard_verify(secret=SECRET, headers=headers, body=BODY)


def test_an_edited_or_undecodable_body_is_a_signature_error():
    headers = standard_headers(secret=SECRET, msg_id="m-1", body=BODY)
    for body in (BODY + b" ", b"\xff" + BODY, b""):
        with pytest.raises(SignatureError):
            standard_verify(secret=SECRET, headers=headers, body=body)


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", "no signing secret configured"), ("whsec_", "no signing secret configured"), ("whsec_a*b", "not base64")],
)
def test_a_missing_or_malformed_secret_is_a_signature_error(secret, message):
    headers = standard_headers(secret=SECRET, msg_id="m-1", body=BODY)
    with pytest.raises(SignatureError, match=message):
        standard_verify(secret=secret, headers=headers, body=BODY)
    with pytest.raises(SignatureError, match=message):
        standard_headers(secret=secret, msg_id="m-1", body=BODY)


def test_another_secret_is_a_signature_error():
    headers = standard_headers(secret=SECRET, msg_id="m-1", body=BODY)
    with pytest.raises(SignatureError, match="No matching signature found"):
        standard_verify(secret=new_secret(), headers=headers, body=BODY)

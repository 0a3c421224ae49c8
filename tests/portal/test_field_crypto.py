"""Values in the database are sealed with AES-256-GCM under a versioned FIELD_ENCRYPTION_KEY; rotation keeps old ones."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from consent.keys import unwrap_key, wrap_key
from portal import field_crypto
from portal.field_crypto import InvalidTag, UnknownKeyVersion
from portal.keys import load_keys, parse_field_keys, production_values


def _key(start: int) -> str:
    return base64.urlsafe_b64encode(bytes(range(start, start + 32))).decode().rstrip("=")


# Sealed by the code before key versions existed, under this single (development) key:
# crm.crypto.encrypt_json(...) and consent.keys.wrap_key(bytes(range(32))).
OLD_KEY = "dev-" + _key(200)
OLD_CRM_TOKEN = (
    "v1:84S3aAq5Q0rYUo9_bspC3onQuqvKqRx05rhrrFTbgj5Rqkxq8IzcOYfvwgMjYai7rb6SzmFsdhq4ZP_6lCwN0DcK9GbQUCG2IkUWFYdgFIfO"
)
OLD_CRM_PLAINTEXT = b'{"api_key": "sk-live-123", "user": "crm@example.org"}'
OLD_CRM_AAD = b"crm.connection:7"
OLD_WRAPPED_KEY = bytes.fromhex(
    "2fde8b82ee8dd57bbb50b8d8d75678dc007c8189878c83d8a7ff5d6a1f5f88435601605666c79b422f58308359b74262e0aba21065ba5bf1a9958820"
)
OLD_CONNECTION_CREDENTIALS = (
    "v1:d04YtkBxPzYZIunjjpWlxcDMPCJsnQOlc-TQBSNeWnH4uWCA7ARh3S3LOOETFZvP9qy_Jbk60XRPr3ip1MgKoVXohuKe9FEc7xJMXAxmvMP7o"
    "MSkqk2bPJkY1rESTNUL"
)
AAD = b"tests.field"


@pytest.fixture
def single_key(settings):
    settings.FIELD_ENCRYPTION_KEY = OLD_KEY
    return settings


@pytest.fixture
def rotated(settings):
    """Version 2 added after version 1 (the old single key)."""
    settings.FIELD_ENCRYPTION_KEY = f"1:{OLD_KEY},2:{_key(0)}"
    return settings


def test_text_and_bytes_round_trip_with_a_fresh_nonce_each_time(single_key):
    first, second = field_crypto.encrypt_text(b"secret", aad=AAD), field_crypto.encrypt_text(b"secret", aad=AAD)
    assert first.startswith("v1:") and first != second
    assert field_crypto.decrypt_text(first, aad=AAD) == b"secret"
    blob = field_crypto.encrypt(b"\x00" * 32, aad=AAD)
    assert len(blob) == 12 + 32 + 16  # under version 1: bare nonce || ciphertext || tag, as before versions
    assert field_crypto.decrypt(blob, aad=AAD) == b"\x00" * 32
    assert field_crypto.decrypt(memoryview(blob), aad=AAD) == b"\x00" * 32  # as BinaryField hands it back


@pytest.mark.parametrize("setting", ["single", "versioned", "rotated"])
def test_values_sealed_before_key_versions_still_open(settings, setting):
    """A CRM credential (``v1:`` text) and a wrapped subject key (bare bytes) stored by the old code."""
    settings.FIELD_ENCRYPTION_KEY = {
        "single": OLD_KEY,
        "versioned": f"1:{OLD_KEY}",
        "rotated": f"1:{OLD_KEY},2:{_key(0)}",
    }[setting]
    assert field_crypto.decrypt_text(OLD_CRM_TOKEN, aad=OLD_CRM_AAD) == OLD_CRM_PLAINTEXT
    assert unwrap_key(OLD_WRAPPED_KEY) == bytes(range(32))


def test_a_new_key_version_seals_from_then_on_and_old_values_still_open(single_key):
    old_text = field_crypto.encrypt_text(b"before", aad=AAD)
    old_blob = wrap_key(b"k" * 32)
    single_key.FIELD_ENCRYPTION_KEY = f"1:{OLD_KEY},2:{_key(0)}"

    new_text = field_crypto.encrypt_text(b"after", aad=AAD)
    new_blob = wrap_key(b"n" * 32)
    assert new_text.startswith("v2:") and new_blob.startswith(b"v2:")
    assert field_crypto.decrypt_text(new_text, aad=AAD) == b"after"
    assert unwrap_key(new_blob) == b"n" * 32
    assert field_crypto.decrypt_text(old_text, aad=AAD) == b"before"
    assert unwrap_key(old_blob) == b"k" * 32

    single_key.FIELD_ENCRYPTION_KEY = f"2:{_key(0)}"  # version 1 retired: its values no longer open
    assert unwrap_key(new_blob) == b"n" * 32
    with pytest.raises(UnknownKeyVersion, match="version 1"):
        field_crypto.decrypt_text(old_text, aad=AAD)
    with pytest.raises(UnknownKeyVersion, match="version 1"):
        unwrap_key(old_blob)


def test_a_value_opens_only_under_its_own_aad(rotated):
    text = field_crypto.encrypt_text(b"secret", aad=AAD)
    blob = field_crypto.encrypt(b"secret", aad=AAD)
    with pytest.raises(InvalidTag):
        field_crypto.decrypt_text(text, aad=b"tests.other")
    with pytest.raises(InvalidTag):
        field_crypto.decrypt(blob, aad=b"tests.other")
    with pytest.raises(InvalidTag):
        field_crypto.decrypt_text(OLD_CRM_TOKEN, aad=b"crm.connection:8")


@pytest.mark.parametrize("version", ["single", "rotated"])
def test_any_edited_byte_is_refused(settings, version):
    settings.FIELD_ENCRYPTION_KEY = OLD_KEY if version == "single" else f"1:{OLD_KEY},2:{_key(0)}"
    blob = field_crypto.encrypt(b"sixteen byte msg", aad=AAD)
    for position in range(len(blob)):
        edited = bytearray(blob)
        edited[position] ^= 0x01
        with pytest.raises((InvalidTag, UnknownKeyVersion)):
            field_crypto.decrypt(bytes(edited), aad=AAD)
    for cut in (blob[:-1], blob[:20], b""):
        with pytest.raises(InvalidTag):
            field_crypto.decrypt(cut, aad=AAD)
    text = field_crypto.encrypt_text(b"sixteen byte msg", aad=AAD)
    raw = base64.urlsafe_b64decode(text[3:])
    for position in (0, 12, len(raw) - 1):
        edited = bytearray(raw)
        edited[position] ^= 0x80
        with pytest.raises(InvalidTag):
            field_crypto.decrypt_text(text[:3] + base64.urlsafe_b64encode(bytes(edited)).decode(), aad=AAD)
    for garbage in ("", "v2:", "v2:!!!!", text[3:], "x" + text, "v0:" + text[3:]):
        with pytest.raises(InvalidTag):
            field_crypto.decrypt_text(garbage, aad=AAD)


def test_an_unknown_key_version_names_itself(rotated):
    text = field_crypto.encrypt_text(b"secret", aad=AAD)
    with pytest.raises(UnknownKeyVersion) as caught:
        field_crypto.decrypt_text("v7:" + text[3:], aad=AAD)
    assert str(caught.value).startswith("this value was encrypted under FIELD_ENCRYPTION_KEY version 7")
    assert "it lists 1, 2" in str(caught.value)
    blob = field_crypto.encrypt(b"secret", aad=AAD)
    with pytest.raises(UnknownKeyVersion, match="version 7"):
        field_crypto.decrypt(b"v7:" + blob[3:], aad=AAD)
    assert isinstance(caught.value, ImproperlyConfigured)


def test_crm_credentials_stored_before_key_versions_open_and_are_rewritten_under_the_new_version(db, rotated):
    """A connection saved by the old code keeps its secrets; saving it again seals them under version 2."""
    from crm.models import ConnectionKind, CrmConnection
    from crm.services import connection_save

    connection = CrmConnection.objects.create(
        name="Old",
        kind=ConnectionKind.WEBHOOK,
        url="https://crm.example.org/hook",
        credentials=OLD_CONNECTION_CREDENTIALS,
    )
    assert connection.secrets() == {"signing_secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAx"}
    connection_save(connection=connection, secrets={"api_token": "t-2"})
    connection.refresh_from_db()
    assert connection.credentials.startswith("v2:")
    assert connection.secrets() == {
        "signing_secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAx",
        "api_token": "t-2",
    }


def test_the_setting_takes_one_key_or_versioned_keys_of_32_bytes():
    assert parse_field_keys(OLD_KEY) == {1: bytes(range(200, 232))}
    assert parse_field_keys(f"1:{OLD_KEY}, 2:{_key(0)}") == {1: bytes(range(200, 232)), 2: bytes(range(32))}
    for bad, problem in [
        ("", "holds no key"),
        (_key(0)[:20], "not 32 bytes long"),
        (f"1:{_key(0)},1:{_key(1)}", "lists key version 1 twice"),
        (f"0:{_key(0)}", "'0' is not a key version"),
        (f"x:{_key(0)}", "'x' is not a key version"),
        ("1:a", "not base64url"),
    ]:
        with pytest.raises(ImproperlyConfigured, match=problem):
            parse_field_keys(bad)


def _production_env(**changes) -> dict[str, str]:
    return {**production_values(), **changes}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"1:{_key(0)},2:dev-{_key(32)}", "FIELD_ENCRYPTION_KEY is a development key"),
        (f"1:dev-{_key(0)}", "FIELD_ENCRYPTION_KEY is a development key"),
        (f"dev-{_key(0)}", "FIELD_ENCRYPTION_KEY is a development key"),
        (f"1:{_key(0)[:20]}", "FIELD_ENCRYPTION_KEY: key version 1 is not 32 bytes long"),
        (f"1:{_key(0)},1:{_key(32)}", "FIELD_ENCRYPTION_KEY lists key version 1 twice"),
    ],
)
def test_production_refuses_development_or_malformed_versioned_keys(tmp_path, value, problem):
    with pytest.raises(ImproperlyConfigured, match="Refusing to start with") as caught:
        load_keys(debug=False, var_dir=tmp_path, environ=_production_env(FIELD_ENCRYPTION_KEY=value))
    assert problem in str(caught.value)
    assert not (tmp_path / "keys.json").exists()


@pytest.mark.parametrize("value", [_key(0), f"1:{_key(0)}", f"1:{_key(0)},2:{_key(32)}"])
def test_production_takes_one_key_or_versioned_keys(tmp_path, value):
    keys = load_keys(debug=False, var_dir=tmp_path, environ=_production_env(FIELD_ENCRYPTION_KEY=value))
    assert keys["FIELD_ENCRYPTION_KEY"] == value


def test_generate_keys_prints_a_versioned_field_key_production_accepts(tmp_path):
    out = StringIO()
    call_command("generate_keys", stdout=out)
    printed = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert printed["FIELD_ENCRYPTION_KEY"].startswith("1:") and "dev-" not in printed["FIELD_ENCRYPTION_KEY"]
    assert [len(key) for key in parse_field_keys(printed["FIELD_ENCRYPTION_KEY"]).values()] == [32]
    assert load_keys(debug=False, var_dir=tmp_path, environ=printed) == printed


def test_development_generates_a_versioned_field_key_once(tmp_path):
    keys = load_keys(debug=True, var_dir=tmp_path, environ={})
    assert keys["FIELD_ENCRYPTION_KEY"].startswith("1:dev-")
    assert list(parse_field_keys(keys["FIELD_ENCRYPTION_KEY"])) == [1]

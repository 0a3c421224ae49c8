"""What identifies a member privately is encrypted at rest: a dump names no one, look-ups go through a blind index,
and the key rotation re-encrypts everything while every value stays readable."""

from __future__ import annotations

import base64
import os
import re
import shutil
import sqlite3
import subprocess
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from community.chat import services as chat_services
from community.chat.models import Chat, ChatMessage
from consent.models import OptInToken
from consent.services import consent_grant
from consent.subjects import subject_for
from crm.models import ConnectionKind, CrmConnection
from crm.services import connection_save
from intake.models import IntakeMail
from portal import key_rotation
from portal.demo import DEMO_ACCOUNTS
from portal.encrypted_fields import UndecryptableValue, blind_index, encrypt_columns
from portal.models import User
from portal.roles import Role
from tests.factories import PASSWORD, make_member

CHAT_LINE = "Mein Router verliert nachts die Verbindung, Kundennummer 4711-0815"
CHAT_TOPIC = "Verbindungsabbruch in der Nacht"
OUTSIDE_ADDRESS = "hannah.aussen@mail.example.net"
OUTSIDE_NAME = "Hannah Aussenstehend"
SQLITE_ONLY = pytest.mark.skipif(connection.vendor != "sqlite", reason="reads the bytes of the SQLite database file")
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs pg_dump against the test database (run with DATABASE_URL)"
)
UNIQUE_VALUES = {CHAT_LINE, CHAT_TOPIC, OUTSIDE_ADDRESS, OUTSIDE_NAME}
SEALED = re.compile(r"v[1-9][0-9]*:[A-Za-z0-9_=-]+")


def _key(seed: int) -> str:
    return base64.urlsafe_b64encode(bytes((seed + i) % 256 for i in range(32))).decode()


def _identifying_values() -> list[str]:
    """Every demo member's e-mail and names, a chat line and topic, an outside author's address and name."""
    values = [CHAT_LINE, CHAT_TOPIC, OUTSIDE_ADDRESS, OUTSIDE_NAME]
    for email, _role, _handle, first, last in DEMO_ACCOUNTS:
        values += [email, first, last]
    return values


def _write_identifying_rows() -> None:
    """The demo members (known addresses and names), a chat, an opt-in token and an intake mail, as users make them."""
    members = []
    for email, role, handle, first, last in DEMO_ACCOUNTS:
        members.append(make_member(role=role, email=email, handle=handle, first_name=first, last_name=last))
    customer, moderator = members[0], members[2]
    chat = chat_services.chat_start(member=customer, topic=CHAT_TOPIC, body="Hallo")
    if chat.status == "bot":
        chat_services.chat_handover(chat=chat, member=customer)
    chat_services.chat_take(chat=chat, moderator=moderator)
    chat_services.message_post(chat=chat, author=customer, body=CHAT_LINE)
    consent_grant(user=customer, purpose="newsletter")
    IntakeMail.objects.create(
        content_hash="0" * 64, subject="Frage", author_name=OUTSIDE_NAME, author_address=OUTSIDE_ADDRESS
    )


def _found(blob: bytes, values: list[str]) -> list[str]:
    return [value for value in values if value.encode() in blob]


def _occurrences(blob: bytes, values: list[str]) -> dict[str, int]:
    """How often each value occurs as a word: the demo names are also words of seeded texts ("Monat", "Produkt"),
    so a test compares the counts before and after the members were written."""
    return {
        value: len(re.findall(rb"(?<![A-Za-z])" + re.escape(value.encode()) + rb"(?![A-Za-z])", blob))
        for value in values
    }


def _never_before(baseline: dict[str, int]) -> list[str]:
    """The addresses, chat line and outside author must not occur anywhere before they were written either."""
    return [value for value, count in baseline.items() if count and ("@" in value or value in UNIQUE_VALUES)]


def _tables_naming(path, values: list[str]) -> list[tuple[str, str]]:
    """Which table holds which of the values in clear (what a failing assertion shows)."""
    raw = sqlite3.connect(path)
    tables = [row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = set()
    for table in tables:
        for row in raw.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from sqlite_master)
            text = " ".join(str(cell) for cell in row)
            found.update((table, value) for value in values if value in text)
    raw.close()
    return sorted(found)


@pytest.fixture
def file_database(tmp_path, django_db_setup, django_db_blocker):
    """The default connection on a SQLite file holding the migrated test schema (WAL, as the portal runs it)."""
    path = tmp_path / "portal.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        memory, name = connection.connection, connection.settings_dict["NAME"]
        connection.connection = None  # the in-memory test database lives on while this connection stays open
        connection.settings_dict["NAME"] = str(path)
        try:
            yield path
        finally:
            connection.close()
            connection.settings_dict["NAME"] = name
            connection.connection = memory


@SQLITE_ONLY
def test_the_sqlite_file_and_its_wal_hold_no_address_name_or_chat_line(file_database):
    """Demo members, a chat, an opt-in and an intake mail written to a file database: neither the file nor its
    write-ahead log contains any of their addresses, names or chat lines, before and after the connection closes."""
    values = _identifying_values()
    baseline = _occurrences(file_database.read_bytes(), values)
    assert _never_before(baseline) == []
    _write_identifying_rows()
    assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    wal = file_database.with_name(file_database.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    written = _occurrences(file_database.read_bytes() + wal.read_bytes(), values)
    assert written == baseline, _tables_naming(file_database, values)
    assert User.objects.with_email("CUSTOMER@example.com").get().get_full_name() == "Clara Kunde"
    connection.close()
    assert not wal.exists() or wal.stat().st_size == 0
    assert _occurrences(file_database.read_bytes(), values) == baseline
    raw = sqlite3.connect(file_database)
    emails = [row[0] for row in raw.execute("SELECT email FROM portal_user")]
    raw.close()
    assert len(emails) == len(DEMO_ACCOUNTS) and all(SEALED.fullmatch(value) for value in emails)


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_address_name_or_chat_line():
    """pg_dump of the database, as a thief of a backup would run it: no demo member's e-mail or name, no chat
    line, no outside author's address or name."""
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    command = [
        shutil.which("pg_dump") or "pg_dump",
        "--no-owner",
        "-h",
        settings.get("HOST") or "127.0.0.1",
        "-p",
        str(settings.get("PORT") or 5432),
        "-U",
        settings.get("USER") or "postgres",
        settings["NAME"],
    ]
    values = _identifying_values()
    baseline = _occurrences(subprocess.run(command, capture_output=True, check=True, env=env).stdout, values)
    assert _never_before(baseline) == []
    _write_identifying_rows()
    dump = subprocess.run(command, capture_output=True, check=True, env=env).stdout
    assert dump.count(b"v1:") >= 3 * len(DEMO_ACCOUNTS)  # the member rows are in the dump, sealed
    assert _occurrences(dump, values) == baseline


@pytest.mark.django_db
def test_raw_sql_sees_only_sealed_values():
    """Selected behind the application's back, every encrypted column holds ``v<version>:`` values only."""
    _write_identifying_rows()
    columns = [
        ("portal_user", "email"),
        ("portal_user", "first_name"),
        ("portal_user", "last_name"),
        ("chat_chat", "topic"),
        ("chat_chatmessage", "body"),
        ("consent_optintoken", "email"),
        ("intake_intakemail", "author_address"),
        ("intake_intakemail", "author_name"),
    ]
    with connection.cursor() as cursor:
        for table, column in columns:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608 (constant names)
            values = [row[0] for row in cursor.fetchall()]
            assert values, (table, column)
            assert [value for value in values if not SEALED.fullmatch(value)] == [], (table, column)
    assert [m.body for m in ChatMessage.objects.order_by("seq") if m.body == CHAT_LINE] == [CHAT_LINE]


@pytest.mark.django_db
def test_login_by_email_works_in_any_letter_case(client):
    """The login form finds the member through the blind index, whatever the case of the address typed."""
    member = make_member(role=Role.CUSTOMER, email="clara.kunde@example.com")
    response = client.post(reverse("login"), {"username": "  Clara.KUNDE@example.com ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
    other = Client()
    refused = other.post(reverse("login"), {"username": "clara.kunde@example.org", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_an_address_stays_unique_under_the_blind_index():
    """A second account with the same address in other letters is refused by form validation and by the database."""
    first = make_member(email="same@example.com")
    twin = User(email="SAME@example.com", handle="twin-account-1")
    with pytest.raises(ValidationError) as caught:
        twin.full_clean(exclude=["password"])
    assert caught.value.message_dict["email"] == ["A member with this e-mail address already exists."]
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="Same@Example.com", handle="twin-account-2")
    assert list(User.objects.with_email("same@EXAMPLE.com")) == [first]


@pytest.mark.django_db
def test_a_lookup_on_an_encrypted_column_fails_loudly():
    """filter(email=...) cannot match sealed values: it raises and names the blind index instead; isnull works."""
    make_member(email="loud@example.com")
    with pytest.raises(FieldError, match=r"portal.User.email is encrypted at rest.*email_index"):
        User.objects.filter(email="loud@example.com").exists()
    with pytest.raises(FieldError, match="chat.ChatMessage.body is encrypted at rest"):
        ChatMessage.objects.filter(body__icontains="x").exists()
    assert User.objects.filter(email__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_value_copied_to_another_column_does_not_open():
    """The associated data names the column: an address copied into the name column, or into another table,
    does not decrypt there."""
    member = make_member(email="copied@example.com", first_name="Ida")
    token_owner = make_member(email="token@example.com")
    consent_grant(user=token_owner, purpose="newsletter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM portal_user WHERE id = %s", [member.pk])
        sealed = cursor.fetchone()[0]
        cursor.execute("UPDATE portal_user SET first_name = %s WHERE id = %s", [sealed, member.pk])
        cursor.execute("UPDATE consent_optintoken SET email = %s WHERE user_id = %s", [sealed, token_owner.pk])
    with pytest.raises(UndecryptableValue, match="a value of portal.user.first_name does not open"):
        User.objects.get(pk=member.pk)
    with pytest.raises(UndecryptableValue, match="a value of consent.optintoken.email does not open"):
        OptInToken.objects.get(user=token_owner)
    assert User.objects.only("pk", "email").get(pk=member.pk).email == "copied@example.com"


@pytest.mark.django_db
def test_a_wrong_key_raises_clearly(settings):
    """Another key under the same version does not silently give garbage: the error names the column and version."""
    member = make_member(email="wrongkey@example.com")
    settings.FIELD_ENCRYPTION_KEY = f"1:{_key(77)}"
    with pytest.raises(UndecryptableValue) as caught:
        User.objects.get(pk=member.pk)
    assert str(caught.value).startswith("a value of portal.user.email does not open under FIELD_ENCRYPTION_KEY v1")


@pytest.mark.django_db
def test_password_reset_finds_the_member_by_blind_index(client):
    """Django's reset form would filter email__iexact; the portal's finds the account through the blind index."""
    make_member(email="reset.me@example.com")
    response = client.post(reverse("password_reset"), {"email": "Reset.Me@Example.com"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["reset.me@example.com"]]


@pytest.mark.django_db
def test_the_back_office_user_search_matches_an_exact_address(client):
    """Wagtail's user list searches an address as an exact blind-index match and shows the decrypted values."""
    admin = make_member(role=Role.ADMINISTRATOR, email="boss@example.com")
    wanted = make_member(email="findme@example.com", first_name="Fiona", last_name="Findbar")
    make_member(email="other@example.com")
    client.force_login(admin)
    url = reverse("wagtailusers_users:index")
    found = client.get(url, {"q": "FindMe@example.com"})
    assert found.status_code == 200
    assert [user.pk for user in found.context["object_list"]] == [wanted.pk]
    assert "Fiona Findbar" in found.content.decode() and "findme@example.com" in found.content.decode()
    partial = client.get(url, {"q": "findme"})
    assert [user.pk for user in partial.context["object_list"]] == []


def _left_under_old_versions() -> dict[str, int]:
    """How many values of each sealed column the rotation would still have to re-encrypt."""
    return {column.label: key_rotation.remaining(column) for column in key_rotation.sealed_columns()}


@pytest.mark.django_db
def test_rotation_re_encrypts_everything_and_old_keys_can_go(client, settings, capsys):
    """Values sealed under version 1; version 2 added; the command re-encrypts every column (member data, CRM
    credentials, wrapped member keys); version 1 removed; everything still reads and login still works."""
    settings.FIELD_ENCRYPTION_KEY = f"1:{_key(1)}"
    _write_identifying_rows()
    customer = User.objects.with_email("customer@example.com").get()
    subject_before = subject_for(customer, create=False).ref
    connection_ = CrmConnection.objects.create(name="CRM", kind=ConnectionKind.WEBHOOK, url="https://crm.example.org/h")
    connection_save(connection=connection_, secrets={"api_token": "t-1"})
    settings.FIELD_ENCRYPTION_KEY = f"1:{_key(1)},2:{_key(2)}"
    left = _left_under_old_versions()
    assert left["portal.User.email"] == len(DEMO_ACCOUNTS)
    assert left["crm.CrmConnection.credentials"] == 1 and left["consent.SubjectKey.wrapped_key"] >= 1

    call_command("rotate_field_keys", "--batch-size", "3")
    assert f"portal.User.email: {len(DEMO_ACCOUNTS)} re-encrypted under version 2" in capsys.readouterr().out
    assert set(_left_under_old_versions().values()) == {0}
    call_command("rotate_field_keys", "--check")
    assert capsys.readouterr().out.splitlines()[-1] == "0 values left under key versions older than 2"

    settings.FIELD_ENCRYPTION_KEY = f"2:{_key(2)}"
    assert User.objects.get(pk=customer.pk).get_full_name() == "Clara Kunde"
    assert [m.body for m in ChatMessage.objects.filter(chat__member=customer).order_by("seq")][-1] == CHAT_LINE
    assert Chat.objects.get(member=customer).topic == CHAT_TOPIC
    assert IntakeMail.objects.get().author_address == OUTSIDE_ADDRESS
    assert OptInToken.objects.get(user=customer).email == "customer@example.com"
    assert CrmConnection.objects.get(pk=connection_.pk).secrets() == {"api_token": "t-1"}
    assert subject_for(User.objects.get(pk=customer.pk), create=False).ref == subject_before
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM portal_user")
        assert {row[0][:3] for row in cursor.fetchall()} == {"v2:"}
    response = client.post(reverse("login"), {"username": "Customer@example.com", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(customer.pk)


@pytest.mark.django_db
def test_a_rotation_stopped_half_way_leaves_everything_readable(settings, monkeypatch):
    """The worker dies after a few rows: old and new versions are mixed, every value opens, --check counts what
    is left, and the next run finishes."""
    settings.FIELD_ENCRYPTION_KEY = f"1:{_key(1)}"
    _write_identifying_rows()
    settings.FIELD_ENCRYPTION_KEY = f"1:{_key(1)},2:{_key(2)}"
    before = sum(_left_under_old_versions().values())
    real, calls = key_rotation._resealed, {"n": 0}

    def dies_after_four(column, stored):
        calls["n"] += 1
        if calls["n"] > 4:
            raise KeyboardInterrupt
        return real(column, stored)

    monkeypatch.setattr(key_rotation, "_resealed", dies_after_four)
    with pytest.raises(KeyboardInterrupt):
        call_command("rotate_field_keys", "--batch-size", "1")
    monkeypatch.setattr(key_rotation, "_resealed", real)
    # Batches (here of one row) commit one by one: four rows are under version 2, the rest still under version 1.
    assert sum(_left_under_old_versions().values()) == before - 4
    assert sorted(u.email for u in User.objects.all()) == sorted(a[0] for a in DEMO_ACCOUNTS)
    assert sorted(u.get_full_name() for u in User.objects.all()) == sorted(f"{a[3]} {a[4]}" for a in DEMO_ACCOUNTS)
    assert Chat.objects.get().topic == CHAT_TOPIC
    assert [m.body for m in ChatMessage.objects.order_by("seq")][-1] == CHAT_LINE
    with pytest.raises(SystemExit):
        call_command("rotate_field_keys", "--check")
    call_command("rotate_field_keys")
    assert set(_left_under_old_versions().values()) == {0}


@pytest.mark.django_db
def test_a_new_blind_index_key_needs_the_recompute(client, settings):
    """The blind index key is not versioned: after it changes, logins fail until --blind-indexes recomputed them."""
    member = make_member(email="index@example.com")
    settings.BLIND_INDEX_KEY = _key(9)
    assert client.post(reverse("login"), {"username": "index@example.com", "password": PASSWORD}).status_code == 200
    call_command("rotate_field_keys", "--blind-indexes")
    assert User.objects.with_email("INDEX@example.com").get() == member
    response = client.post(reverse("login"), {"username": "index@example.com", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_data_migration_seals_clear_rows_and_fills_the_index_both_ways():
    """Rows written in clear before the upgrade are sealed and indexed; the reverse writes them back in clear."""
    member = make_member(email="before@example.com", first_name="Otto")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_user SET email = %s, first_name = %s, email_index = '' WHERE id = %s",
            ["Before@Example.com", "Otto", member.pk],
        )
    migration = encrypt_columns("portal", "User", "email", "first_name", "last_name")
    editor = SimpleNamespace(connection=connection)
    migration.code(apps, editor)
    migration.code(apps, editor)  # a second run (a retried deploy) does not seal twice
    stored = User.objects.get(pk=member.pk)
    assert (stored.email, stored.first_name) == ("Before@Example.com", "Otto")
    assert stored.email_index == blind_index(User, "email", "before@example.com")
    migration.reverse_code(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, first_name FROM portal_user WHERE id = %s", [member.pk])
        assert cursor.fetchone() == ("Before@Example.com", "Otto")

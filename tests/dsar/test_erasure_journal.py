"""Erasure survives a backup restore: every erasure is journalled outside the database (ids and times only),
and ``replay_erasures`` erases again whom a restored backup brings back."""

from __future__ import annotations

import json
import sqlite3

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from consent.dsar import services
from consent.models import SubjectKey
from tests.dsar.test_erasure import _identifiers, _scan_database, _seed


@pytest.fixture
def journal(settings, tmp_path):
    settings.ERASURE_JOURNAL_PATH = tmp_path / "journal-volume" / "erasures.jsonl"
    return settings.ERASURE_JOURNAL_PATH


def test_every_erasure_is_journalled_with_ids_and_times_only(
    journal, customer, dpo, django_capture_on_commit_callbacks
):
    email, handle = customer.email, customer.handle
    with django_capture_on_commit_callbacks(execute=True):
        report = services.member_erase(member=customer, actor=dpo)
    customer.refresh_from_db()
    lines = journal.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"user_id": customer.pk, "report_id": str(report.pk), "erased_at": customer.erased_at.isoformat()}
    ]
    assert email not in lines[0] and handle not in lines[0]


def test_an_erasure_that_rolls_back_is_not_journalled(journal, customer, dpo, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.member_erase(member=customer, actor=dpo)
        transaction.set_rollback(True)
    assert not journal.exists()
    customer.refresh_from_db()
    assert customer.erased_at is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="copies the SQLite database file (pg_dump is not at hand)")
@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_does_not_undo_an_erasure_once_the_journal_is_replayed(
    journal, home_page, moderator, other_customer, dpo, capsys
):
    """Back up, erase, restore the backup (the member is back), replay: the scan finds none of their identifiers,
    and a second replay changes nothing."""
    member, _objects = _seed(home_page, moderator, other_customer)
    needles = _identifiers(member)
    connection.ensure_connection()
    backup = sqlite3.connect(":memory:")
    connection.connection.backup(backup)  # the nightly backup, taken before the erasure

    services.member_erase(member=member, actor=dpo)
    assert _scan_database(needles) == []
    after_erasure = _account_state(member.pk)

    backup.backup(connection.connection)  # the restore
    backup.close()
    assert _scan_database(needles) != []
    assert _account_state(member.pk)["erased_at"] is None

    call_command("replay_erasures")
    assert "1 erased again, 0 already erased, 0 accounts not in this database" in capsys.readouterr().out
    assert _scan_database(needles) == []
    state = _account_state(member.pk)
    assert (state["is_active"], state["has_usable_password"], state["subject_key"]) == (False, False, False)
    assert state["handle"].startswith(after_erasure["handle"].split("-")[0])
    assert (state["email"], state["first_name"], state["last_name"]) == (
        after_erasure["email"],
        after_erasure["first_name"],
        after_erasure["last_name"],
    )
    assert len(journal.read_text().splitlines()) == 1  # a replay is not journalled again

    call_command("replay_erasures")
    assert "0 erased again, 1 already erased" in capsys.readouterr().out


def _account_state(pk: int) -> dict:
    user = get_user_model().objects.get(pk=pk)
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "handle": user.handle,
        "erased_at": user.erased_at,
        "is_active": user.is_active,
        "has_usable_password": user.has_usable_password(),
        "subject_key": SubjectKey.objects.filter(user_id=pk).exists(),
    }

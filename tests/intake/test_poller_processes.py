"""The poller as real processes against the real Dovecot: killed mid-batch, and two at once.

The test's database is handed to the processes (SQLite: copied to a file they share; PostgreSQL:
the test database itself), each process polls the mailbox until it is empty, and what they left
behind is read back through the ORM: every mail exactly one record and one card, all marked.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from crm.models import InterestCard
from intake.models import IntakeMail, Mailbox
from tests.intake import mails

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
MAILS = 300
KILLED_LEASE_SECONDS = 2  # how long the killed poller's lease keeps the next one waiting
WAIT_SECONDS = 300  # an upper bound for a loaded CI machine, not a speed requirement
LIVE_LEASE_SECONDS = 60  # two live pollers: each renews with every mail, however slow the machine

# Polls the mailbox in batches until a poll that held the lease found nothing; one JSON line per poll.
POLLER = """
import json, sys, time
import django
django.setup()
from intake import services
from intake.models import Mailbox
mailbox = Mailbox.objects.select_related("rule").get(pk=int(sys.argv[1]))
while True:
    result = services.mailbox_poll(mailbox=mailbox)
    print(json.dumps({"read": result.read, "created": result.created, "duplicates": result.duplicates,
                      "error": result.error, "busy": result.busy}), flush=True)
    if result.busy:
        time.sleep(0.05)
    elif result.read == 0 and not result.error:
        break
"""


@pytest.fixture(autouse=True)
def _shipped_rules(transactional_db):
    """The flush after a transactional test also removes the parsing rules the data migration wrote."""
    from intake.defaults import rules_install
    from intake.models import ParsingRule

    rules_install(ParsingRule)


@pytest.fixture
def shared_database(tmp_path):
    """Environment for poller processes that use this test's database, and a way to read it back."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.intake.poller_settings",
        "INTAKE_POLL_BATCH": "25",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    if connection.vendor == "sqlite":
        path = tmp_path / "portal.sqlite3"

        def hand_over():
            connection.ensure_connection()
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()

        def take_back():
            connection.ensure_connection()
            source = sqlite3.connect(path)
            source.backup(connection.connection)
            source.close()

        env["DATABASE_URL"] = f"sqlite:///{path}"
        shared = {"env": env, "hand_over": hand_over, "take_back": take_back, "processes": []}
    else:
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        env["DATABASE_POOL"] = "0"
        shared = {"env": env, "hand_over": lambda: None, "take_back": lambda: None, "processes": []}
    yield shared
    for process in shared["processes"]:  # a failed test must not leave a poller reading the next test's mails
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _poller(shared, mailbox: Mailbox, log: Path, *, lease: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", POLLER, str(mailbox.pk)],
        cwd=ROOT,
        env={**shared["env"], "TASK_LEASE_SECONDS": str(lease)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    shared["processes"].append(process)
    return process


def _polls(log: Path) -> list[dict]:
    lines = log.read_text().splitlines()
    polls = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(polls) == len(lines), log.read_text()  # nothing else was printed: no traceback, no warning
    return polls


def _records(shared) -> int:
    if connection.vendor == "sqlite":
        with sqlite3.connect(shared["env"]["DATABASE_URL"].removeprefix("sqlite:///"), timeout=20) as db:
            return db.execute(f"SELECT COUNT(*) FROM {IntakeMail._meta.db_table}").fetchone()[0]  # noqa: S608
    return IntakeMail.objects.count()


def _expected_ids() -> set[str]:
    return {f"<plain-{n}@kunde.example>" for n in range(MAILS)}


def _assert_each_mail_one_card(dovecot) -> None:
    records = list(IntakeMail.objects.values_list("message_id", "card_id", "skipped"))
    assert len(records) == MAILS
    assert {message_id for message_id, _, _ in records} == _expected_ids()
    assert {skipped for _, _, skipped in records} == {""}
    assert InterestCard.objects.count() == MAILS
    assert len({card for _, card, _ in records}) == MAILS
    assert set(InterestCard.objects.values_list("pk", flat=True)) == {card for _, card, _ in records}
    assert dovecot.uids(criterion="UNSEEN") == []
    assert len(dovecot.uids()) == MAILS  # marked as read, none lost from the mailbox
    mailbox = Mailbox.objects.get()
    assert (mailbox.poll_owner, mailbox.poll_lease_until) == ("", None)


def test_poller_killed_mid_batch_loses_and_doubles_nothing(dovecot, mailbox, shared_database, tmp_path):
    """SIGKILL while cards are being written; the next poller finishes: every mail exactly one card, all marked."""
    dovecot.append(*(mails.plain(n=n) for n in range(MAILS)))
    shared_database["hand_over"]()

    doomed = _poller(shared_database, mailbox, tmp_path / "doomed.log", lease=KILLED_LEASE_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while _records(shared_database) < 20:
        assert doomed.poll() is None, (tmp_path / "doomed.log").read_text()
        assert time.monotonic() < deadline, "the poller wrote no cards"
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    left_behind = _records(shared_database)
    marked = len(dovecot.uids(criterion="SEEN"))
    assert 20 <= left_behind < MAILS
    assert marked in (left_behind - 1, left_behind)  # at most the last card committed but its mail not marked

    second = _poller(shared_database, mailbox, tmp_path / "second.log", lease=KILLED_LEASE_SECONDS)
    assert second.wait(WAIT_SECONDS) == 0, (tmp_path / "second.log").read_text()
    # It waits (busy) until the killed poller's lease runs out, then reads what is left.
    polls = [poll for poll in _polls(tmp_path / "second.log") if not poll["busy"]]

    assert {poll["error"] for poll in polls} == {""}
    assert sum(poll["read"] for poll in polls) == MAILS - marked
    assert sum(poll["duplicates"] for poll in polls) == left_behind - marked  # only marked, no second card
    assert sum(poll["created"] for poll in polls) == MAILS - left_behind
    shared_database["take_back"]()
    _assert_each_mail_one_card(dovecot)


def test_two_pollers_at_once_make_each_mail_one_card(dovecot, mailbox, shared_database, tmp_path):
    """Two pollers on one mailbox: they take turns (the lease); no mail is read, marked or carded twice."""
    dovecot.append(*(mails.plain(n=n) for n in range(MAILS)))
    shared_database["hand_over"]()

    pollers = [
        _poller(shared_database, mailbox, tmp_path / f"poller-{n}.log", lease=LIVE_LEASE_SECONDS) for n in (1, 2)
    ]
    for n, process in enumerate(pollers, start=1):
        assert process.wait(WAIT_SECONDS) == 0, (tmp_path / f"poller-{n}.log").read_text()
    polls = [poll for n in (1, 2) for poll in _polls(tmp_path / f"poller-{n}.log") if not poll["busy"]]

    logs = "\n".join((tmp_path / f"poller-{n}.log").read_text() for n in (1, 2))
    assert {poll["error"] for poll in polls} == {""}, logs
    assert sum(poll["read"] for poll in polls) == MAILS, logs  # no mail read (and marked) by both
    assert sum(poll["duplicates"] for poll in polls) == 0
    assert sum(poll["created"] for poll in polls) == MAILS
    shared_database["take_back"]()
    _assert_each_mail_one_card(dovecot)

"""Checkpoints witnessed outside the database: published in a public append-only list, appended to a witness
file, mailed to a witness address, posted to an HTTP endpoint; ``consent_verify --witness`` catches a
truncation or rewrite at or below the newest witnessed checkpoint even with the checkpoint rows deleted."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent import services
from consent.ledger import verify
from consent.models import LedgerCheckpoint
from consent.receipts import verify_jws
from consent.witness import checkpoint_witness, witnessed_roots
from tests.consent.ledger_attacks import forget_current_consents, rewrite, tampered
from tests.crm.conftest import Receiver

pytestmark = pytest.mark.django_db
N = 12
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def witness_file(tmp_path, settings):
    settings.CONSENT_WITNESS_FILE = tmp_path / "witness-volume" / "ledger-checkpoints.jsonl"
    return settings.CONSENT_WITNESS_FILE


@pytest.fixture
def witnessed_ledger(build_ledger, witness_file, settings, django_capture_on_commit_callbacks):
    """12 entries with a checkpoint after every 4th (sizes 1, 4, 8, 12), each handed to the file witness."""
    settings.CONSENT_CHECKPOINT_EVERY = 4
    with django_capture_on_commit_callbacks(execute=True):
        build_ledger(N)
    return witness_file


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_checkpoint_lands_in_the_witness_file_once_and_signed(witnessed_ledger):
    lines = _lines(witnessed_ledger)
    assert [line["tree_size"] for line in lines] == [1, 4, 8, 12]
    stored = {c.tree_size: c for c in LedgerCheckpoint.objects.all()}
    for line in lines:
        statement = verify_jws(line["signature"])
        assert (statement["tree_size"], statement["root_hash"]) == (line["tree_size"], line["root_hash"])
        assert line["root_hash"] == stored[line["tree_size"]].root_hash
        assert line["consistency"] == stored[line["tree_size"]].consistency.split()


def test_a_witness_file_configured_late_catches_up_on_every_earlier_checkpoint(
    build_ledger, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The file witness appends whatever the file lacks, so a missed delivery is made good by the next one."""
    settings.CONSENT_CHECKPOINT_EVERY = 4
    build_ledger(8)  # checkpoints 1, 4, 8 signed while no witness was configured
    settings.CONSENT_WITNESS_FILE = tmp_path / "late.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        build_ledger(4)
    assert [line["tree_size"] for line in _lines(settings.CONSENT_WITNESS_FILE)] == [1, 4, 8, 12]


def test_a_witness_address_gets_each_checkpoint_by_mail_and_saved_mails_verify(
    build_ledger, settings, tmp_path, django_capture_on_commit_callbacks, capsys
):
    settings.CONSENT_CHECKPOINT_EVERY = 4
    settings.CONSENT_WITNESS_EMAIL = "dpo@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        build_ledger(N)
    assert [m.to for m in mail.outbox] == [["dpo@example.com"]] * 4
    assert [m.subject for m in mail.outbox] == [f"Consent ledger checkpoint {size}" for size in (1, 4, 8, 12)]
    assert "/privacy/ledger/checkpoints.json" in mail.outbox[0].body
    saved = tmp_path / "mailbox.txt"
    saved.write_text("\n\n".join(m.body for m in mail.outbox))
    assert witnessed_roots(str(saved)) == {c.tree_size: c.root_hash for c in LedgerCheckpoint.objects.all()}
    call_command("consent_verify", witness=[str(saved)])
    assert (
        f"consent ledger OK: {N} entries, 4 signed checkpoints, 4 witnessed checkpoints match"
        in capsys.readouterr().out
    )


def test_an_http_witness_gets_each_checkpoint_posted(build_ledger, settings, django_capture_on_commit_callbacks):
    receiver = Receiver(handler=lambda request: (201, {}, {"stored": True})).start()
    try:
        settings.CONSENT_CHECKPOINT_EVERY = 4
        settings.CONSENT_WITNESS_URL = receiver.url + "/witness"
        with django_capture_on_commit_callbacks(execute=True):
            build_ledger(N)
    finally:
        receiver.stop()
    assert [(r.method, r.path) for r in receiver.requests] == [("POST", "/witness")] * 4
    posted = [r.json() for r in receiver.requests]
    assert [p["tree_size"] for p in posted] == [1, 4, 8, 12]
    assert {p["tree_size"]: p["root_hash"] for p in posted} == {
        c.tree_size: c.root_hash for c in LedgerCheckpoint.objects.all()
    }


def test_a_failing_witness_does_not_keep_the_checkpoint_from_the_others(build_ledger, settings, tmp_path):
    """The HTTP witness answers 503: the file witness still gets the checkpoint, and the run reports the failure."""
    settings.CONSENT_CHECKPOINT_EVERY = 1000
    build_ledger(1)
    checkpoint = LedgerCheckpoint.objects.get()
    receiver = Receiver(handler=lambda request: (503, {}, {"error": "down"})).start()
    settings.CONSENT_WITNESS_URL = receiver.url
    settings.CONSENT_WITNESS_FILE = tmp_path / "w.jsonl"
    try:
        with pytest.raises(RuntimeError, match="ledger witnesses failed: http"):
            checkpoint_witness(checkpoint_id=checkpoint.pk)
    finally:
        receiver.stop()
    assert [line["tree_size"] for line in _lines(settings.CONSENT_WITNESS_FILE)] == [1]
    assert len(receiver.requests) == 1


def test_the_public_list_holds_every_signed_checkpoint_and_is_cacheable(witnessed_ledger, client):
    url = reverse("consent:ledger_checkpoints")
    assert url == "/privacy/ledger/checkpoints.json"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    assert document["public_keys"].endswith("/privacy/.well-known/jwks.json")
    assert document["checkpoints"] == _lines(witnessed_ledger)
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_receipt_check_page_links_the_public_list(client, language):
    response = client.get(reverse("consent:receipt_verify"), HTTP_ACCEPT_LANGUAGE=language)
    text = response.content.decode()
    assert 'href="/privacy/ledger/checkpoints.json" data-ledger-checkpoints' in text
    expected = "die signierten Prüfpunkte des Registers" if language == "de" else "the signed ledger checkpoints"
    assert expected in text


def test_consent_verify_reads_the_public_list_from_its_url(witnessed_ledger, client, capsys):
    document = client.get(reverse("consent:ledger_checkpoints")).content
    receiver = Receiver(handler=lambda request: (200, {}, document)).start()
    try:
        call_command("consent_verify", witness=[receiver.url + "/privacy/ledger/checkpoints.json"])
    finally:
        receiver.stop()
    assert "4 witnessed checkpoints match" in capsys.readouterr().out


@PROPERTY
@given(keep=st.integers(1, N - 1))
def test_a_truncation_below_a_witnessed_checkpoint_with_the_checkpoints_deleted_names_the_cut(
    witnessed_ledger, attacker, keep
):
    """Entries, checkpoint rows, the head and the projection all agree on the shortened log; only the witness knows."""
    witnessed = witnessed_roots(str(witnessed_ledger))

    def attack():
        rewrite(attacker, cut=keep)
        attacker.delete_checkpoints_from(keep + 1)
        forget_current_consents(attacker, from_index=keep)

    assert tampered(attack).ok  # consistent inside the database
    result = tampered(attack, witnessed=witnessed)
    assert (result.ok, result.first_bad_index) == (False, keep), result.problem
    assert result.problem == f"the log was truncated: a witness saw a checkpoint at size 12, {keep} entries remain"


@pytest.fixture
def witnessed_every_entry(build_ledger, witness_file, settings, django_capture_on_commit_callbacks):
    """A checkpoint after every entry: the witness pins each one."""
    settings.CONSENT_CHECKPOINT_EVERY = 1
    with django_capture_on_commit_callbacks(execute=True):
        members = build_ledger(N)
    return witness_file, members


@PROPERTY
@given(index=st.integers(0, N - 2))
def test_a_rewrite_below_a_witnessed_checkpoint_resigned_by_the_portal_names_the_entry(
    witnessed_every_entry, attacker, index
):
    """The attacker rewrites an entry, recomputes everything, deletes the checkpoints above it and lets the
    portal sign fresh ones: the ledger is consistent again inside the database, the witness still disagrees."""
    path, _events = witnessed_every_entry
    witnessed = witnessed_roots(str(path))
    state = json.loads(attacker.row(index)["payload"])["state"]
    flipped = {"state": "granted" if state == "withdrawn" else "withdrawn"}
    flipped["kind"] = "grant" if flipped["state"] == "granted" else "withdraw"

    def attack():
        rewrite(attacker, edits={index: flipped})
        attacker.delete_checkpoints_from(index + 1)
        forget_current_consents(attacker, from_index=0)
        from consent.ledger import checkpoint_now

        checkpoint_now()

    assert tampered(attack).ok
    result = tampered(attack, witnessed=witnessed)
    assert (result.ok, result.first_bad_index) == (False, index), result.problem
    assert result.problem.startswith(f"entries from {index} on differ from what a witness saw")


def test_a_cut_and_regrown_log_fails_against_the_witness_at_the_cut(witnessed_every_entry, attacker, customer):
    """Truncated at 5, then new consents appended through the services (the portal signs new checkpoints)."""
    path, _events = witnessed_every_entry
    rewrite(attacker, cut=5)
    attacker.delete_checkpoints_from(6)
    forget_current_consents(attacker, from_index=5)
    for granted in (True, False, True, False, True, False, True, False, True):
        services.consent_set(user=customer, purpose="analytics", granted=granted)
    assert verify().ok and verify().size == 14
    with pytest.raises(CommandError, match="first bad index: 5; entries from 5 on differ from what a witness saw"):
        call_command("consent_verify", witness=[str(path)])


def test_a_witness_copy_with_a_forged_signature_is_refused(witnessed_ledger, tmp_path):
    lines = _lines(witnessed_ledger)
    header, payload, _signature = lines[-1]["signature"].split(".")
    lines[-1]["signature"] = f"{header}.{payload}.{'A' * 86}"
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(json.dumps(line) for line in lines))
    with pytest.raises(CommandError, match="witness copy unusable: a checkpoint in .* is not signed by the portal"):
        call_command("consent_verify", witness=[str(forged)])


def test_the_dpos_ledger_check_compares_the_witness_file_and_names_the_witnesses(witnessed_ledger, client, dpo):
    client.force_login(dpo)
    url = reverse("consent_admin:ledger")
    page = client.get(url).content.decode()
    assert "Every signed checkpoint also goes to: append-only witness file." in page
    assert 'href="/privacy/ledger/checkpoints.json"' in page
    text = client.post(url).content.decode()
    assert 'data-ledger-result="ok"' in text
    assert "It still extends all 4 checkpoints in the witness file." in text


def test_the_dpos_ledger_check_fails_on_a_truncation_only_the_witness_file_knows(
    witnessed_ledger, attacker, client, dpo
):
    rewrite(attacker, cut=6)
    attacker.delete_checkpoints_from(7)
    forget_current_consents(attacker, from_index=6)
    assert verify().ok
    client.force_login(dpo)
    text = client.post(reverse("consent_admin:ledger")).content.decode()
    assert 'data-ledger-result="broken"' in text
    assert "First bad index: 6." in text
    assert "a witness saw a checkpoint at size 12, 6 entries remain" in text


def test_the_dpos_ledger_page_warns_without_witnesses_in_german(client, dpo, settings):
    settings.CONSENT_WITNESS_FILE = ""
    dpo.preferred_language = "de"
    dpo.save()
    client.force_login(dpo)
    page = client.get(reverse("consent_admin:ledger"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Kein Zeuge außerhalb der Datenbank erhält die signierten Prüfpunkte" in page
    assert "Alle signierten Prüfpunkte (öffentliche Liste)" in page

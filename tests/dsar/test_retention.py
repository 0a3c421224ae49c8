"""Retention: the registry, the DPO's policies, the daily run, and each category's preview equal to its run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from community.chat import services as chat
from community.chat.models import Chat
from consent import retention as registry
from consent.dsar import retention
from consent.dsar.models import (
    DataExport,
    ErasureReport,
    EvidenceKey,
    ExportStatus,
    InactivityWarning,
    RetentionPolicy,
    RunTrigger,
)
from consent.ledger import verify
from consent.models import AuditEntry, ConsentEvent
from consent.retention import Tally
from consent.services import audit_record, consent_grant, consent_withdraw
from consent.subjects import evidence_matches
from portal import schedule
from portal.models import User
from portal.roles import Role
from portal.services import user_signup
from tests.factories import PASSWORD, make_member

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
EVERY_CATEGORY = [
    "chat.transcripts",
    "chat.transcripts_consented",
    "consent.ip_evidence",
    "dsar.expired_exports",
    "portal.unconfirmed_signups",
    "portal.inactive_accounts",
    "intake.cards",
    "community.drafts",
    "community.post_images",
]


@pytest.fixture
def restore_registry():
    saved = dict(registry._categories)
    yield
    registry._categories.clear()
    registry._categories.update(saved)


def _at(moment):
    return time_machine.travel(moment, tick=False)


def test_the_registry_covers_every_category_of_the_issue(db):
    """Chat transcripts (with and without consent), IP evidence, expired exports, unconfirmed sign-ups, inactive
    accounts are registered, and each gets a policy with its default period on first read."""
    assert registry.codes() == EVERY_CATEGORY
    policies = retention.policies()
    assert {code: policy.days for code, policy in policies.items()} == {
        "chat.transcripts": 30,
        "chat.transcripts_consented": 365,
        "consent.ip_evidence": 365,
        "dsar.expired_exports": 0,
        "portal.unconfirmed_signups": 30,
        "portal.inactive_accounts": 1095,
        "intake.cards": 180,
        "community.drafts": 30,
        "community.post_images": 1,
    }
    assert all(policy.enabled and policy.updated_by is None for policy in policies.values())
    assert RetentionPolicy.objects.count() == 9


def test_one_daily_task_enforces_retention(db):
    """The chat has no schedule of its own any more: the daily dsar.retention run applies every policy."""
    jobs = {job.name: job.every for job in schedule.jobs()}
    assert jobs["dsar.retention"] == timedelta(days=1)
    assert "chat.retention" not in jobs


def test_chat_transcripts_preview_equals_what_the_run_deletes(customer, other_customer, moderator):
    """Without consent a closed chat goes 30 days after closing, with consent after 365; younger ones stay."""
    consent_grant(user=other_customer, purpose="chat_transcript")
    plain_old = chat.chat_start(member=customer, topic="Old question", body="hello")
    chat.chat_close(chat=plain_old, actor=customer, now=NOW - timedelta(days=31))
    plain_young = chat.chat_start(member=customer, topic="Young question", body="hello")
    chat.chat_close(chat=plain_young, actor=customer, now=NOW - timedelta(days=29))
    kept = chat.chat_start(member=other_customer, topic="Kept question", body="hello")
    chat.chat_close(chat=kept, actor=other_customer, now=NOW - timedelta(days=100))
    kept_old = chat.chat_start(member=other_customer, topic="Kept long ago", body="hello")
    chat.chat_close(chat=kept_old, actor=other_customer, now=NOW - timedelta(days=366))
    open_chat = chat.chat_start(member=customer, topic="Still open", body="hello")
    with _at(NOW):
        preview = retention.retention_preview()
        assert (preview["chat.transcripts"], preview["chat.transcripts_consented"]) == (Tally(1), Tally(1))
        assert set(chat.retention_due().values_list("pk", flat=True)) == {plain_old.pk, kept_old.pk}
        run = retention.retention_run()
    assert run.results["chat.transcripts"] == {"deleted": 1, "warned": 0, "days": 30}
    assert run.results["chat.transcripts_consented"] == {"deleted": 1, "warned": 0, "days": 365}
    assert set(Chat.objects.values_list("pk", flat=True)) == {plain_young.pk, kept.pk, open_chat.pk}


def test_withdrawing_the_transcript_consent_moves_a_kept_chat_to_the_short_period(other_customer):
    """A kept transcript whose consent was withdrawn counts under the 30-day policy, not the 365-day one."""
    consent_grant(user=other_customer, purpose="chat_transcript")
    kept = chat.chat_start(member=other_customer, topic="Kept question", body="hello")
    chat.chat_close(chat=kept, actor=other_customer, now=NOW - timedelta(days=40))
    with _at(NOW):
        assert retention.retention_preview()["chat.transcripts"] == Tally(0)
    consent_withdraw(user=other_customer, purpose="chat_transcript")
    with _at(NOW):
        assert retention.retention_preview()["chat.transcripts"] == Tally(1)
        assert retention.retention_run().results["chat.transcripts"]["deleted"] == 1
    assert not Chat.objects.filter(pk=kept.pk).exists()


def test_the_dpo_changes_a_period_without_a_deploy(customer, dpo):
    """A shorter chat period takes effect on the next preview and run; the change is audited."""
    closed = chat.chat_start(member=customer, topic="Ten days ago", body="hello")
    chat.chat_close(chat=closed, actor=customer, now=NOW - timedelta(days=10))
    with _at(NOW):
        assert retention.retention_preview()["chat.transcripts"] == Tally(0)
        policy = retention.policy_update(code="chat.transcripts", days=7, enabled=True, actor=dpo)
        assert retention.retention_preview()["chat.transcripts"] == Tally(1)
    assert (policy.days, policy.updated_by, policy.updated_at) == (7, dpo, NOW)
    entry = AuditEntry.objects.get(action="retention_policy")
    assert (entry.actor, entry.target, entry.reason) == (
        dpo,
        "chat.transcripts",
        "30 -> 7 days, enforced: True -> True",
    )


def test_only_the_dpo_or_an_administrator_sets_a_period_within_its_bounds(customer, moderator, dpo, administrator):
    """Members and moderators are refused; a period under the category's minimum is refused; nothing changes."""
    for actor in (customer, moderator):
        with pytest.raises(PermissionDenied):
            retention.policy_update(code="chat.transcripts", days=1, enabled=True, actor=actor)
    with pytest.raises(ValidationError):
        retention.policy_update(code="portal.inactive_accounts", days=30, enabled=True, actor=dpo)
    retention.policy_update(code="portal.unconfirmed_signups", days=14, enabled=True, actor=administrator)
    assert {p.code: p.days for p in RetentionPolicy.objects.all()}["chat.transcripts"] == 30
    assert RetentionPolicy.objects.get(code="portal.inactive_accounts").days == 1095
    assert RetentionPolicy.objects.get(code="portal.unconfirmed_signups").days == 14
    assert AuditEntry.objects.filter(action="retention_policy").count() == 1


def test_a_disabled_policy_is_neither_previewed_nor_applied(customer, dpo):
    """Switched off, the chat category keeps its old transcripts and the run does not list it."""
    closed = chat.chat_start(member=customer, topic="Old question", body="hello")
    chat.chat_close(chat=closed, actor=customer, now=NOW - timedelta(days=60))
    retention.policy_update(code="chat.transcripts", days=30, enabled=False, actor=dpo)
    with _at(NOW):
        assert "chat.transcripts" not in retention.retention_preview()
        run = retention.retention_run()
    assert "chat.transcripts" not in run.results
    assert Chat.objects.filter(pk=closed.pk).exists()


def test_ip_evidence_keys_are_destroyed_and_the_ledger_still_verifies(customer, dpo, capsys):
    """After the period an old entry's IP hash can no longer be tested; newer evidence can; the ledger verifies."""
    retention.policy_update(code="consent.ip_evidence", days=5, enabled=True, actor=dpo)
    with _at(NOW - timedelta(days=10)):
        consent_grant(user=customer, purpose="analytics", ip="192.0.2.7", user_agent="Firefox/128")
    with _at(NOW - timedelta(days=2)):
        consent_withdraw(user=customer, purpose="analytics", ip="198.51.100.4", user_agent="Firefox/128")
    old, new = (json.loads(event.payload)["evidence"] for event in ConsentEvent.objects.order_by("index"))
    assert (old["key"], new["key"]) == ("2025-03-21", "2025-03-29")
    assert "192.0.2.7" not in json.dumps(old) and len(old["ip"]) == 32
    assert evidence_matches(user=customer, evidence=old, label="ip", value="192.0.2.7") is True
    assert evidence_matches(user=customer, evidence=old, label="ip", value="192.0.2.8") is False
    with _at(NOW):
        assert retention.retention_preview()["consent.ip_evidence"] == Tally(1)
        run = retention.retention_run()
    assert run.results["consent.ip_evidence"] == {"deleted": 1, "warned": 0, "days": 5}
    assert list(EvidenceKey.objects.values_list("day", flat=True)) == [datetime(2025, 3, 29).date()]
    assert evidence_matches(user=customer, evidence=old, label="ip", value="192.0.2.7") is None
    assert evidence_matches(user=customer, evidence=old, label="ua", value="Firefox/128") is None
    assert evidence_matches(user=customer, evidence=new, label="ip", value="198.51.100.4") is True
    assert verify().ok
    call_command("consent_verify")
    assert capsys.readouterr().out.startswith("consent ledger OK: 2 entries")


def test_events_without_evidence_create_no_key(customer):
    """A consent change without IP or user agent (staff, system) needs no evidence key."""
    consent_grant(user=customer, purpose="analytics")
    assert "key" not in json.loads(ConsentEvent.objects.get().payload)["evidence"]
    assert EvidenceKey.objects.count() == 0


def test_expired_exports_preview_equals_what_the_run_purges(customer, dpo, django_capture_on_commit_callbacks):
    """With 2 days after expiry, an export expired 3 days ago is purged, one expired yesterday stays."""
    from consent.dsar import services

    retention.policy_update(code="dsar.expired_exports", days=2, enabled=True, actor=dpo)
    exports = []
    for days_ago in (10, 8):  # ready 10 and 8 days ago: expired 3 days and 1 day ago
        with _at(NOW - timedelta(days=days_ago)), django_capture_on_commit_callbacks(execute=True):
            exports.append(services.export_request(user=customer))
    with _at(NOW):
        assert retention.retention_preview()["dsar.expired_exports"] == Tally(1)
        assert retention.retention_run().results["dsar.expired_exports"]["deleted"] == 1
    statuses = {e.pk: e.status for e in DataExport.objects.all()}
    assert statuses == {exports[0].pk: ExportStatus.EXPIRED, exports[1].pk: ExportStatus.READY}


def test_unconfirmed_signups_are_removed_after_the_period(dpo, django_capture_on_commit_callbacks):
    """Never-confirmed sign-ups older than 30 days go: plainly deleted, or erased when the registry keeps rows
    about them; a younger sign-up, a confirmed account and an unconfirmed staff account stay."""
    with _at(NOW - timedelta(days=31)), django_capture_on_commit_callbacks(execute=True):
        abandoned = user_signup(email="abandoned@example.com", password=PASSWORD, preferred_language="en")
        looked_at = user_signup(email="looked-at@example.com", password=PASSWORD, preferred_language="en")
        staff = make_member(role=Role.MODERATOR, confirmed=False)
        confirmed = make_member()
    with _at(NOW - timedelta(days=29)), django_capture_on_commit_callbacks(execute=True):
        young = user_signup(email="young@example.com", password=PASSWORD, preferred_language="en")
    audit_record(actor=dpo, subject=looked_at, action="view_data", reason="Support asked about the sign-up")
    with _at(NOW), django_capture_on_commit_callbacks(execute=True):
        assert retention.retention_preview()["portal.unconfirmed_signups"] == Tally(2)
        assert retention.retention_run().results["portal.unconfirmed_signups"]["deleted"] == 2
    assert not User.objects.filter(pk=abandoned.pk).exists()
    looked_at.refresh_from_db()
    assert (looked_at.erased_at, looked_at.email) == (NOW, f"erased-{looked_at.pk}@invalid")
    assert list(ErasureReport.objects.values_list("member_id", flat=True)) == [looked_at.pk]
    assert AuditEntry.objects.get(action="erase").reason == "retention: e-mail address never confirmed"
    assert set(User.objects.filter(pk__in=[staff.pk, confirmed.pk, young.pk]).values_list("erased_at", flat=True)) == {
        None
    }


@pytest.fixture
def long_inactive(db):
    """A member, a DPO and a moderator who last did anything four years before NOW."""
    with _at(NOW - timedelta(days=4 * 365)):
        member = make_member(preferred_language="de")
        return member, make_member(role=Role.DPO), make_member(role=Role.MODERATOR)


def test_inactive_member_is_warned_once_then_erased_after_the_grace_period(
    long_inactive, django_capture_on_commit_callbacks
):
    """The first run mails one warning in the member's language; later runs do not mail again; 30 days after
    the warning the still inactive member is erased. Staff accounts are never warned nor erased."""
    member, old_dpo, old_moderator = long_inactive
    with _at(NOW), django_capture_on_commit_callbacks(execute=True):
        assert retention.retention_preview()["portal.inactive_accounts"] == Tally(deleted=0, warned=1)
        run = retention.retention_run()
    assert run.results["portal.inactive_accounts"] == {"deleted": 0, "warned": 1, "days": 1095}
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([member.email], "Ihr Konto wird gelöscht, wenn Sie sich nicht anmelden")
    ]
    assert f"@{member.handle}" in mail.outbox[0].body and "30. April 2025" in mail.outbox[0].body
    warning = InactivityWarning.objects.get()
    assert (warning.user, warning.warned_at, warning.mailed_at) == (member, NOW, NOW)
    with _at(NOW + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        assert retention.retention_run().results["portal.inactive_accounts"]["warned"] == 0
    assert len(mail.outbox) == 1
    with _at(NOW + timedelta(days=29)):
        assert retention.retention_preview()["portal.inactive_accounts"] == Tally(0, 0)
    with _at(NOW + timedelta(days=30)), django_capture_on_commit_callbacks(execute=True):
        assert retention.retention_preview()["portal.inactive_accounts"] == Tally(deleted=1, warned=0)
        run = retention.retention_run()
    assert run.results["portal.inactive_accounts"] == {"deleted": 1, "warned": 0, "days": 1095}
    member.refresh_from_db()
    assert member.erased_at == NOW + timedelta(days=30)
    assert AuditEntry.objects.get(action="erase").reason == "retention: account inactive"
    assert InactivityWarning.objects.count() == 0
    assert set(User.objects.filter(pk__in=[old_dpo.pk, old_moderator.pk]).values_list("erased_at", flat=True)) == {None}


def test_signing_in_after_the_warning_cancels_the_erasure(long_inactive, client, django_capture_on_commit_callbacks):
    """A member who signs in during the grace period is not erased and the warning is withdrawn."""
    member, _dpo, _moderator = long_inactive
    with _at(NOW), django_capture_on_commit_callbacks(execute=True):
        retention.retention_run()
    with _at(NOW + timedelta(days=10)):
        client.force_login(member)
    with _at(NOW + timedelta(days=40)), django_capture_on_commit_callbacks(execute=True):
        assert retention.retention_preview()["portal.inactive_accounts"] == Tally(0, 0)
        run = retention.retention_run()
    assert run.results["portal.inactive_accounts"] == {"deleted": 0, "warned": 0, "days": 1095}
    member.refresh_from_db()
    assert (member.erased_at, InactivityWarning.objects.count(), len(mail.outbox)) == (None, 0, 1)


def test_a_failing_category_does_not_stop_the_others(customer, restore_registry):
    """The run records the failure and still applies the remaining policies."""

    def broken(cutoff):
        raise RuntimeError("storage unavailable")

    registry.register("test.broken", label="Broken", default_days=1, preview=broken, apply=broken, order=1)
    closed = chat.chat_start(member=customer, topic="Old question", body="hello")
    chat.chat_close(chat=closed, actor=customer, now=NOW - timedelta(days=31))
    with _at(NOW):
        run = retention.retention_run()
    assert (run.failed, run.trigger, run.finished_at) == (True, RunTrigger.SCHEDULE, NOW)
    assert run.results["test.broken"] == {"error": "RuntimeError", "days": 1}
    assert run.results["chat.transcripts"]["deleted"] == 1


def test_the_daily_task_records_a_run(customer):
    """The scheduled task applies the policies and leaves the run in the history."""
    from consent.dsar.tasks import retention_run

    closed = chat.chat_start(member=customer, topic="Old question", body="hello")
    chat.chat_close(chat=closed, actor=customer, now=NOW - timedelta(days=31))
    with _at(NOW):
        result = retention_run.enqueue()
    run = retention.runs_recent(limit=1)[0]
    assert result.return_value == {"run": run.pk, "results": run.results}
    assert (run.trigger, run.actor, run.results["chat.transcripts"]["deleted"]) == (RunTrigger.SCHEDULE, None, 1)


def test_a_restriction_of_processing_holds_the_members_data_from_retention(
    long_inactive, customer, other_customer, django_capture_on_commit_callbacks
):
    """Under a standing restriction (Art. 18) neither the member's old chat transcript nor their inactive account
    is deleted, and the preview says so; an objection to marketing holds nothing; once the DPO lifts the
    restriction the next run deletes as usual."""
    from consent.dsar import restrictions

    member, dpo, _moderator = long_inactive
    chats = {}
    for who in (member, customer, other_customer):
        started = chat.chat_start(member=who, topic="Old question", body="hello")
        chats[who.pk] = chat.chat_close(chat=started, actor=who, now=NOW - timedelta(days=40)).pk
    held = restrictions.restriction_place(member=member, kind="restriction", actor=dpo)
    restrictions.restriction_place(member=customer, kind="restriction", actor=dpo)
    restrictions.restriction_place(member=other_customer, kind="objection", actor=dpo)
    with _at(NOW), django_capture_on_commit_callbacks(execute=True):
        preview = retention.retention_preview()
        assert (preview["chat.transcripts"], preview["portal.inactive_accounts"]) == (Tally(deleted=1), Tally(0, 0))
        run = retention.retention_run()
    assert run.results["chat.transcripts"]["deleted"] == 1
    assert run.results["portal.inactive_accounts"] == {"deleted": 0, "warned": 0, "days": 1095}
    assert set(Chat.objects.values_list("pk", flat=True)) == {chats[member.pk], chats[customer.pk]}
    assert (InactivityWarning.objects.count(), len(mail.outbox)) == (0, 0)
    restrictions.restriction_lift(restriction=held, actor=dpo, reason="Dispute settled")
    with _at(NOW + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        run = retention.retention_run()
    assert run.results["chat.transcripts"]["deleted"] == 1
    assert run.results["portal.inactive_accounts"]["warned"] == 1
    assert set(Chat.objects.values_list("pk", flat=True)) == {chats[customer.pk]}

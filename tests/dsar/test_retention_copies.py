"""Copies follow their source's retention: when a chat goes, its CRM card text, export files and cached pages go too.

Issue 15, finding 8. A chat tagged into a CRM card is delivered to a real webhook CRM on loopback; the
member downloads an export. Once the chat is past its policy, the back office's preview counts the chat
and its copies, and the run removes the chat, neutralises the card, sends the CRM a redaction without
any chat line, and deletes the member's export file.
"""

# ruff: noqa: F811  (make_chat and tag_chat are fixtures imported from the CRM tests)
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from community.chat import services as chat_services
from community.chat.models import Chat, ChatMessage
from consent import retention as registry
from consent.dsar import retention
from consent.dsar import services as dsar_services
from consent.dsar.export import exports_dir
from consent.dsar.models import DataExport, ExportStatus, RetentionRun
from consent.retention import Tally
from consent.services import consent_grant
from crm.models import InterestCard, OutboxKind, OutboxMessage, OutboxState
from portal.fragments import FRAGMENT_PREFIX
from tests.crm.conftest import make_chat, tag_chat  # noqa: F401  (chats in the console, tagged into cards)

URL = "/admin/access-requests/retention/"
TOPIC = "Quote for Zanzibar Logistics"
LINES = ("We are Zanzibar Logistics and want 40 seats.", "Our budget is 9137 euros a year, call 030 5550199.")
SECOND_LINES = ("Also: the invoice should go to Marrakesh Freight.",)


def _close(chat, moderator, *, days: int):
    return chat_services.chat_close(chat=chat, actor=moderator, now=timezone.now() - timedelta(days=days))


def _export(user, django_capture_on_commit_callbacks) -> DataExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = dsar_services.export_request(user=user)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and (exports_dir() / export.file_name).exists()
    return export


CHAT_WORDS = (TOPIC, *LINES, *SECOND_LINES, "Zanzibar", "9137", "5550199", "Marrakesh")


def _holds_no_chat_words(text: str) -> bool:
    return not any(word.lower() in text.lower() for word in CHAT_WORDS)


@pytest.fixture
def tagged_chat(customer, moderator, make_chat, tag_chat, lead_rule, crm_store):
    """A member's chat tagged #lead by a moderator: the card with the chat's lines reached the CRM."""
    chat = make_chat(customer, topic=TOPIC, lines=LINES, answer="Happy to help.")
    tag_chat(chat, moderator)
    card = InterestCard.objects.get()
    assert (card.title, card.text) == (TOPIC, "\n".join(LINES))
    assert card.remote_id and crm_store.tasks[str(card.key)]["text"].startswith(LINES[0])  # the copy at the CRM
    return chat


def _copies_cell(html: str, code: str = "chat.transcripts") -> str:
    return html.split(f'data-code="{code}"')[1].split("</tr>")[0]


def test_a_purged_chat_takes_its_card_text_export_file_and_crm_copy_along(
    client,
    customer,
    other_customer,
    moderator,
    dpo,
    tagged_chat,
    make_chat,
    crm_store,
    django_capture_on_commit_callbacks,
):
    """The preview counts the member's two due chats and their copies (one card text, one export); the run
    removes the chats, leaves the card with a neutral title and no text, sends the CRM a redaction without a
    chat line, deletes the member's export file; a young chat, its member's export and its card stay."""
    _close(tagged_chat, moderator, days=31)
    second = _close(
        make_chat(customer, topic="Invoice address", lines=SECOND_LINES, answer="Noted."), moderator, days=45
    )
    young = _close(
        make_chat(other_customer, topic="Young chat", lines=("Still fresh.",), answer="Sure."), moderator, days=3
    )
    mine, theirs = (
        _export(customer, django_capture_on_commit_callbacks),
        _export(other_customer, django_capture_on_commit_callbacks),
    )
    card = InterestCard.objects.get()

    preview = retention.retention_preview()["chat.transcripts"]
    assert preview == Tally(deleted=2, copies=(("crm.card_texts", 1), ("dsar.exports", 1)))
    client.force_login(dpo)
    cell = _copies_cell(client.get(URL).content.decode())
    assert 'data-deleted="2"' in cell
    assert (
        '<span class="retention-copies" data-copies="2">2 chats, and their copies: 1 CRM card text, 1 data export'
        in (cell)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL, {"action": "run"}).status_code == 302
    run = RetentionRun.objects.get()
    assert run.results["chat.transcripts"] == {
        "deleted": 2,
        "warned": 0,
        "days": 30,
        "copies": {"crm.card_texts": 1, "dsar.exports": 1},
    }
    assert set(Chat.objects.values_list("pk", flat=True)) == {young.pk}
    assert not ChatMessage.objects.filter(chat_id__in=[tagged_chat.pk, second.pk]).exists()

    card.refresh_from_db()
    assert (card.title, card.text) == (f"Lead {str(card.key)[:8]}", "")
    redaction = OutboxMessage.objects.get(card=card, kind=OutboxKind.REDACT)
    assert redaction.state == OutboxState.SENT
    sent = crm_store.tasks[str(card.key)]
    assert (sent["event"], sent["title"], sent["text"]) == ("card.redacted", f"Lead {str(card.key)[:8]}", "")
    assert crm_store.arrivals[str(card.key)] == 2
    assert _holds_no_chat_words(json.dumps(crm_store.tasks))
    for message in OutboxMessage.objects.all():
        assert _holds_no_chat_words(json.dumps(message.payload)), message.kind

    statuses = {export.pk: (export.status, export.file_name) for export in DataExport.objects.all()}
    assert statuses == {mine.pk: (ExportStatus.EXPIRED, ""), theirs.pk: (ExportStatus.READY, theirs.file_name)}
    assert not (exports_dir() / mine.file_name).exists()
    assert (exports_dir() / theirs.file_name).exists()

    html = client.get(URL).content.decode()
    assert "2 chats, and their copies: 1 CRM card text, 1 data export" in html.split('id="runs-heading"')[1]
    assert retention.retention_preview()["chat.transcripts"] == Tally(0)


def test_the_preview_and_run_report_speak_german(
    dpo, tagged_chat, moderator, customer, django_capture_on_commit_callbacks
):
    """The DPO working in German reads the same numbers in German words."""
    _close(tagged_chat, moderator, days=31)
    _export(customer, django_capture_on_commit_callbacks)
    preview = retention.retention_preview()["chat.transcripts"]
    with translation.override("de"):
        assert preview.summary == "1 Chat und ihre Kopien: 1 CRM-Kartentext, 1 Datenexport"
    with django_capture_on_commit_callbacks(execute=True):
        run = retention.retention_run()
    with translation.override("de"):
        words = {str(label): text for label, _entry, text in retention.run_entries(run)}
        label = str(registry.category("chat.transcripts").label)
        assert words[label] == "1 Chat und ihre Kopien: 1 CRM-Kartentext, 1 Datenexport"


def test_a_card_the_crm_never_got_goes_out_neutral_and_its_failed_payload_is_dropped(
    customer,
    moderator,
    make_chat,
    tag_chat,
    lead_rule,
    crm_store,
    webhook_receiver,
    django_capture_on_commit_callbacks,
):
    """The CRM was down when the card was tagged: the failed try kept the chat text in its payload. After the
    chat's retention that payload is gone, and the card reaches the CRM only with its neutral title."""
    store_accept = webhook_receiver.handler
    webhook_receiver.handler = lambda request: (503, {}, {"error": "down"})
    chat = make_chat(customer, topic=TOPIC, lines=LINES, answer="Hm.")
    tag_chat(chat, moderator)
    card = InterestCard.objects.get()
    failed = OutboxMessage.objects.get(card=card)
    assert (failed.state, failed.attempts) == (OutboxState.FAILED, 1)
    assert LINES[0] in json.dumps(failed.payload)
    _close(chat, moderator, days=31)
    with django_capture_on_commit_callbacks(execute=True):
        run = retention.retention_run()
    assert run.results["chat.transcripts"]["copies"] == {"crm.card_texts": 1}
    assert all(_holds_no_chat_words(json.dumps(row.payload)) for row in OutboxMessage.objects.all())

    webhook_receiver.handler = store_accept  # the CRM is back: the sweep sends what is due
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        from crm import services as crm_services

        crm_services.outbox_sweep()
    sent = crm_store.tasks[str(card.key)]
    assert (sent["title"], sent["text"]) == (f"Lead {str(card.key)[:8]}", "")
    assert _holds_no_chat_words(json.dumps(crm_store.tasks))


def test_cached_fragments_go_after_a_run_that_removed_something(customer, moderator, make_chat):
    """A run that removed nothing leaves the fragment cache alone; one that removed a chat empties it."""
    cache.set(FRAGMENT_PREFIX + "a-thread-row", "<li>cached</li>")
    retention.retention_run()
    assert cache.get(FRAGMENT_PREFIX + "a-thread-row") == "<li>cached</li>"
    _close(make_chat(customer), moderator, days=31)
    retention.retention_run()
    assert cache.get(FRAGMENT_PREFIX + "a-thread-row") is None


# --- the whole registry ----------------------------------------------------------------------------------------


def _due_chats(customer, other_customer, moderator, make_chat):
    """One chat past each chat policy: without consent (31 days) and kept with consent (366 days)."""
    consent_grant(user=other_customer, purpose="chat_transcript")
    plain = _close(make_chat(customer), moderator, days=31)
    kept = _close(make_chat(other_customer), moderator, days=366)
    return {"chat.transcripts": (plain, customer), "chat.transcripts_consented": (kept, other_customer)}


# Every source kind needs a way to make rows past their policy here, so a new kind cannot skip the test.
SOURCE_ROWS = {"chat": _due_chats}


def test_every_source_kind_is_covered_here():
    assert {source.kind for source in registry.sources()} == set(SOURCE_ROWS)
    assert {category.source for category in registry.categories() if category.source} == set(SOURCE_ROWS)


@pytest.mark.parametrize("code", [entry.code for entry in registry.copies()])
def test_every_registered_copy_is_purged_with_the_ids_its_source_category_removed(
    code,
    customer,
    other_customer,
    moderator,
    make_chat,
    monkeypatch,
):
    """Each copy's purge gets exactly the ids (or, per member, the members) of what each category removed, after
    the rows went; its count in the preview saw the same ids."""
    entry = registry.copy(code)
    counted, purged = [], []

    def count(ids):
        counted.append(list(ids))
        return entry.count(ids)

    def purge(ids):
        kind, row_pk = removed[len(purged)]
        assert not registry.source(kind).model_class._default_manager.filter(pk=row_pk).exists()  # the row went first
        purged.append(list(ids))
        return entry.purge(ids)

    monkeypatch.setitem(registry._copies, code, dataclasses.replace(entry, count=count, purge=purge))
    expected, removed = [], []
    for kind, make in SOURCE_ROWS.items():
        if not entry.applies_to(kind):
            continue
        for category_code, (row, member) in make(customer, other_customer, moderator, make_chat).items():
            assert registry.category(category_code).source == kind
            expected.append([member.pk] if entry.per_member else [row.pk])
            removed.append((kind, row.pk))
    assert expected, f"{code} is a copy of no source kind"
    retention.retention_preview()
    assert counted == expected
    retention.retention_run()
    assert purged == expected


@pytest.fixture
def restore_registry():
    saved = dict(registry._categories), dict(registry._sources), dict(registry._copies)
    yield
    for live, kept in zip((registry._categories, registry._sources, registry._copies), saved, strict=True):
        live.clear()
        live.update(kept)


def test_search_entries_of_removed_rows_leave_the_index(db, restore_registry, django_capture_on_commit_callbacks):
    """Any source kind whose model is searchable: the run's removal drops the rows' search index entries."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils.translation import ngettext_lazy
    from wagtail.search.models import IndexEntry

    from community.chat.models import CannedReply
    from portal.tasks import reindex

    reply = CannedReply.objects.create(title="Zanzibar pricing", body="Seats for Zanzibar Logistics.")
    reindex.call(refs=[("chat.CannedReply", reply.pk)])
    entries = IndexEntry.objects.filter(content_type=ContentType.objects.get_for_model(CannedReply))
    assert list(entries.values_list("object_id", flat=True)) == [str(reply.pk)]
    registry.register_source(
        "test.replies", model="chat.CannedReply", label=ngettext_lazy("%(count)s reply", "%(count)s replies", "count")
    )
    registry.register(
        "test.replies",
        label="Test replies",
        default_days=1,
        source="test.replies",
        source_ids=lambda cutoff: [reply.pk],
        remove=lambda ids: CannedReply.objects.filter(pk__in=ids).delete()[1]["chat.CannedReply"],
    )
    assert retention.retention_preview()["test.replies"].summary == "1 reply"
    with django_capture_on_commit_callbacks(execute=True):
        run = retention.retention_run()
    assert run.results["test.replies"] == {"deleted": 1, "warned": 0, "days": 1}
    assert not entries.exists()


def test_a_category_of_a_source_kind_needs_its_ids_and_removal(restore_registry):
    """A source category without source_ids or remove, or a plain one without preview and apply, is refused."""
    with pytest.raises(ValueError, match="needs source_ids and remove"):
        registry.register("test.half", label="Half", default_days=1, source="chat", source_ids=lambda cutoff: [])
    with pytest.raises(ValueError, match="needs preview and apply"):
        registry.register("test.none", label="None", default_days=1, preview=lambda cutoff: 0)
    assert "test.half" not in registry.codes() and "test.none" not in registry.codes()

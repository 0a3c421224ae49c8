"""Erasure: a member seeded across every app is erased, then a scan finds none of their identifiers.

The scan reads behind the application's back: every column of every table (raw SQL, the search
index's own tables included), every cached value and every stored file; every task the flow
enqueued is checked for identifiers in its arguments; every CRM that received a card about the
member, with the identity or only a pseudonym, got a redaction, and the report lists each one.
"""

from __future__ import annotations

import json
import os
import pickle

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils.text import slugify

from community import services as community
from community.chat import services as chat
from community.models import Forum, ModerationSettings, Post
from consent.dsar import selectors as dsar_selectors
from consent.dsar import services
from consent.dsar.events import member_erased
from consent.dsar.models import ErasureReport
from consent.models import AuditEntry, MemberConsent, PseudonymMapping, SubjectKey
from consent.pseudonyms import pseudonym_for
from consent.services import consent_grant
from ideas import services as ideas
from ideas.models import Board
from knowledgebase import services as kb
from knowledgebase.models import KBArticlePage, KBIndexPage
from portal.notifications import notification_send
from portal.roles import Role
from tests.factories import make_member

# (model label, identifier) pairs allowed to survive. None: the retained models (ledger, audit log,
# erasure report) link the member only by id to the anonymised account row, never by an identifier.
EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()

PHONE = "+49 30 12345678"
IBAN = "DE89 3704 0044 0532 0130 00"
IP = "203.0.113.42"
TYPED = (PHONE, IBAN, IP)


@pytest.fixture
def task_args(monkeypatch):
    """The arguments of every task enqueued from here on, as the queue table would store them."""
    from django_tasks.backends.immediate import ImmediateBackend

    recorded: list[str] = []
    original = ImmediateBackend.enqueue

    def enqueue(self, task, args, kwargs):
        recorded.append(f"{task.module_path}: {json.dumps([args, kwargs], default=str)}")
        return original(self, task, args, kwargs)

    monkeypatch.setattr(ImmediateBackend, "enqueue", enqueue)
    return recorded


@pytest.fixture
def seeded(db, task_args, home_page, moderator, other_customer, django_capture_on_commit_callbacks):
    """A member with data in the community, chat, ideas, knowledge base, consents, notifications and media."""
    with django_capture_on_commit_callbacks(execute=True):
        return _seed(home_page, moderator, other_customer)


def _seed(home_page, moderator, other_customer):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    member = make_member(role=Role.CUSTOMER, email="zebulon.q@example.org", first_name="Zebulon", last_name="Quaxworth")
    forum = Forum.objects.create(name="General", slug="general", description="Anything")
    thread = community.thread_create(
        forum=forum, author=member, title="Zebulon Quaxworth asks about keys", body="Mail me at zebulon.q@example.org"
    )
    post = community.post_create(thread=thread, author=member, body="Regards, Zebulon Quaxworth")
    community.post_create(thread=thread, author=member, body=f"Call {PHONE}, pay to {IBAN}; my address is {IP}.")
    quote = community.post_create(
        thread=thread, author=other_customer, body=f"@{member.handle}: Zebulon, I rang {PHONE} and got no answer."
    )
    stranger = community.post_create(thread=thread, author=other_customer, body="My cousin Zebulon Smith says hi.")
    community.reaction_toggle(post=post, user=other_customer)
    reply = community.post_create(thread=thread, author=other_customer, body=f"Thanks @{member.handle}, that helped!")
    community.reaction_toggle(post=reply, user=member)
    community.post_flag(post=reply, reporter=member, reason="spam", note="I am Zebulon Quaxworth")
    community.post_edit(post=post, editor=member, body="Regards, Zebulon (edited)")
    board = Board.objects.create(name="Acme", slug="acme", description="Ideas")
    idea = ideas.idea_create(
        board=board, author=member, title="Export for Zebulon Quaxworth", body="Please add exports."
    )
    other_idea = ideas.idea_create(
        board=board, author=other_customer, title="Dark mode", body=f"Like @{member.handle} said"
    )
    ideas.vote_set(idea_id=other_idea.pk, voter=member, voted=True)
    ideas.comment_create(idea=idea, author=member, body="More from zebulon.q@example.org")
    ideas.comment_create(idea=other_idea, author=other_customer, body=f"cc @{member.handle}")
    started = chat.chat_start(member=member, topic="Billing", body="Hi, Zebulon Quaxworth here")
    chat.chat_take(chat=started, moderator=moderator)
    chat.message_post(chat=started, author=moderator, body="Hello Zebulon Quaxworth, how can I help?")
    kb_index = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb", intro="Answers."))
    article = kb_index.add_child(instance=KBArticlePage(title="Keys", slug=slugify("keys"), summary="About keys"))
    article.save_revision().publish()
    kb.helpful_vote_cast(article=KBArticlePage.objects.get(pk=article.pk), helpful=True, user=member)
    consent_grant(user=member, purpose="public_profile")
    pseudonym_for(member, "crm")
    notification_send(
        recipient=member, kind="privacy_request", message="portal.text", params={"title": "Hello Zebulon Quaxworth"}
    )
    from wagtail.models import UploadedFile

    upload = UploadedFile(uploaded_by_user=member)
    upload.file.save("avatar-zebulon.txt", ContentFile(b"zebulon.q@example.org"), save=True)
    from django.test import Client

    # A mistyped password: the login throttle keeps a record naming the address until its cool-off ends.
    Client().post(reverse("login"), {"username": member.email, "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    session = Session.objects.create(
        session_key="s" * 32,
        session_data=Session.objects.encode({"_auth_user_id": str(member.pk)}),
        expire_date="2099-01-01T00:00:00Z",
    )
    return member, {
        "reply": reply,
        "quote": quote,
        "stranger": stranger,
        "thread": thread,
        "other_idea": other_idea,
        "upload": upload,
        "session": session,
    }


def _identifiers(member) -> list[str]:
    from portal.login_throttle import account_key

    return [
        member.email,
        account_key(member.email),  # the blind index: the member's own row and the login failure records hold it
        member.handle,
        member.get_full_name(),
        "Quaxworth",
        f"user:{member.pk}",
        f"/members/{member.pk}/",
        *TYPED,
    ]


def _table_models() -> dict[str, str]:
    return {model._meta.db_table: model._meta.label for model in apps.get_models(include_auto_created=True)}


def _scan_database(needles: list[str], allowed: frozenset[str] = frozenset()) -> list[str]:
    """Every column of every table, read with raw SQL as text (JSON, blobs and the search index's tables too)."""
    hits = []
    owners = _table_models()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            try:
                columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            except Exception:  # noqa: BLE001  (an FTS shadow table the backend cannot describe is read below as a whole)
                columns = []
            if not columns:
                continue
            owner = owners.get(table, table)
            if owner in allowed:
                continue
            for needle in needles:
                condition = " OR ".join(f"LOWER(CAST({quote(name)} AS TEXT)) LIKE %s" for name in columns)
                with transaction.atomic():
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} WHERE {condition}",  # noqa: S608 (names from introspection)
                        [f"%{needle.lower()}%"] * len(columns),
                    )
                    found = cursor.fetchone()[0]
                if found and (owner, needle) not in EXCEPTIONS:
                    hits.append(f"{owner} ({table}): {needle!r} x{found}")
    return hits


def _scan_cache(needles: list[str]) -> list[str]:
    """Every value in the cache (local memory, or the Redis database the tests use)."""
    values = []
    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):
        values = [(key, value) for key, value in list(store.items())]
    else:
        client = store.get_client(None)
        values = [(key, client.get(key)) for key in client.scan_iter(match=cache.make_key("*"))]
    hits = []
    for key, raw in values:
        try:
            text = repr(pickle.loads(raw)) if isinstance(raw, bytes) else repr(raw)
        except Exception:  # noqa: BLE001  (Redis stores plain integers for counters)
            text = repr(raw)
        text = f"{key!r} {text}"  # a key naming the member is a copy too
        hits += [f"cache {key!r}: {needle!r}" for needle in needles if needle.lower() in text.lower()]
    return hits


def _scan_media(root, needles: list[str]) -> list[str]:
    hits = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            data = open(path, "rb").read().decode(errors="ignore") + path
            hits += [f"{path}: {needle!r}" for needle in needles if needle.lower() in data.lower()]
    return hits


@pytest.fixture
def two_crms(receiver_factory, moderator, django_capture_on_commit_callbacks):
    """Two CRM connections (two vendors), each with its own tag rule and its own store on loopback."""
    from crm import services as crm
    from crm.models import ActionType, AssigneeStrategy, ConnectionKind, CrmConnection, Priority, TagRule
    from crm.signing import new_secret
    from tests.crm.conftest import CrmStore

    made = []
    for name, tag in (("Sales CRM", "lead"), ("Support desk", "bug")):
        secret = new_secret()
        store = CrmStore(secret)
        receiver = receiver_factory(store.accept)
        connection_ = crm.connection_save(
            connection=CrmConnection(name=name, kind=ConnectionKind.WEBHOOK, url=receiver.url + "/hook"),
            secrets={"signing_secret": secret},
        )
        TagRule.objects.create(
            tag=tag,
            action_type=ActionType.LEAD if tag == "lead" else ActionType.BUG,
            priority=Priority.NORMAL,
            due_in_days=2,
            assignee_strategy=AssigneeStrategy.CLAIM,
            connection=connection_,
        )
        made.append((name, tag, store))
    return made


def _events(store) -> list[tuple[str, str]]:
    return sorted((payload["event"], payload["key"]) for payload in store.tasks.values())


def test_erasure_leaves_no_identifier_anywhere(
    seeded, task_args, two_crms, moderator, dpo, settings, client, django_capture_on_commit_callbacks
):
    """After erasure the member's identifiers, and the contact data they typed, are in no table, index, cache,
    file or task argument, and every CRM that received a card about them redacted it."""
    member, objects = seeded
    thread = objects["thread"]
    with django_capture_on_commit_callbacks(execute=True):
        for _name, tag, _store in two_crms:
            community.thread_tag_add(thread=thread, name=tag, actor=moderator)
    for _name, _tag, store in two_crms:
        assert [event for event, _key in _events(store)] == ["card.upserted"]
    assert client.get(thread.get_absolute_url()).status_code == 200  # the posts' fragments are in the cache now
    needles = _identifiers(member)
    before = _scan_database(needles)
    assert any(hit.startswith("wagtailsearch.IndexEntry") for hit in before), before
    assert any(hit.startswith("community.Post") for hit in before), before
    assert any(IP in hit for hit in before) and any(PHONE in hit for hit in before), before
    assert any(hit.startswith("axes.AccessAttempt") for hit in before), before
    assert _scan_media(settings.MEDIA_ROOT, needles)
    assert _scan_cache(needles)
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    member_erased.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.member_erase(member=member, actor=dpo)
    finally:
        member_erased.disconnect(receiver)
    legal_holds = frozenset(entry["model"] for entry in report.kept)
    assert _scan_database(needles, allowed=legal_holds) == []
    assert _scan_database(needles) == []  # the legal holds name the member by id only
    assert _scan_media(settings.MEDIA_ROOT, needles) == []
    assert _scan_cache(needles) == []
    assert [args for args in task_args if any(n.lower() in args.lower() for n in needles)] == []
    assert received == [{"user_id": member.pk, "report_id": report.pk}]
    # Every CRM that received a card (pseudonymous: no identity went) got a redaction, acknowledged.
    for _name, _tag, store in two_crms:
        kinds = [event for event, _key in _events(store)]
        assert kinds == ["card.redacted"]  # the CRM's copy of the card was replaced by the redacted one
        assert sorted(store.arrivals.values()) == [2]
        redacted = [payload for payload in store.tasks.values() if payload["event"] == "card.redacted"]
        assert redacted[0]["text"] == ""
        assert not [n for n in needles if n.lower() in json.dumps(redacted).lower()]
    assert sorted(
        (entry["recipient"], entry["copies"], entry["acknowledged"], entry["pending"])
        for entry in dsar_selectors.erasure_recipients(report=report)
    ) == [("Sales CRM (Signed webhook)", 1, 1, 0), ("Support desk (Signed webhook)", 1, 1, 0)]


def test_erasure_rewrites_typed_contact_data_and_names_only_where_they_name_the_member(seeded, dpo):
    """Typed phone, IBAN and IP go from the member's posts and from quotes; a stranger's same first name stays."""
    member, objects = seeded
    services.member_erase(member=member, actor=dpo)
    own = Post.objects.get(thread=objects["thread"], body__startswith="Call ")
    assert own.body == "Call [removed], pay to [removed]; my address is [removed]."
    quote = Post.objects.get(pk=objects["quote"].pk)
    assert quote.body == "@deleted-member: deleted-member, I rang [removed] and got no answer."
    stranger = Post.objects.get(pk=objects["stranger"].pk)
    assert stranger.body == "My cousin Zebulon Smith says hi."


def test_the_dpo_sees_each_recipients_outcome_in_the_erasure_report(
    seeded, two_crms, moderator, dpo, client, django_capture_on_commit_callbacks
):
    """The request page lists every CRM asked to redact, with its outcome, in the DPO's language."""
    from consent.dsar.models import RequestKind, RequestState

    member, objects = seeded
    with django_capture_on_commit_callbacks(execute=True):
        community.thread_tag_add(thread=objects["thread"], name="lead", actor=moderator)
    request = services.request_create(member=member, kind=RequestKind.ERASURE, actor=member)
    request = services.request_transition(request=request, to=RequestState.IN_PROGRESS, actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_run_erasure(request=request, actor=dpo, confirmation=member.handle)
    client.force_login(dpo)
    page = client.get(f"/admin/access-requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recipients asked to erase their copies (Art. 19)" in page
    assert "<td>Sales CRM (Signed webhook)</td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td>" in page
    assert "Support desk" not in page  # it never received anything about this member


def test_erased_account_reads_as_deleted_member(seeded, dpo):
    """The account row stays, anonymised: no login, no names, a 'deleted member' public name."""
    member, objects = seeded
    services.member_erase(member=member, actor=dpo)
    member.refresh_from_db()
    assert member.email == f"erased-{member.pk}@invalid"
    assert (member.first_name, member.last_name) == ("", "")
    assert member.handle.startswith("deleted-member-") and len(member.handle) == len("deleted-member-") + 8
    assert member.public_name == "deleted-member"
    assert member.has_usable_password() is False
    assert member.is_active is False
    assert member.erased_at is not None
    assert Session.objects.filter(session_key=objects["session"].session_key).exists() is False
    assert SubjectKey.objects.filter(user_id=member.pk).exists() is False
    assert PseudonymMapping.objects.filter(user_id=member.pk).exists() is False
    assert MemberConsent.objects.filter(user_id=member.pk).exists() is False


def test_posts_stay_readable_and_mentions_are_rewritten(seeded, dpo):
    """The member's posts keep their text with no author; others' @-mentions now name 'deleted-member'."""
    member, objects = seeded
    handle = member.handle
    services.member_erase(member=member, actor=dpo)
    assert Post.objects.filter(author__isnull=True).count() == 3
    reply = Post.objects.get(pk=objects["reply"].pk)
    assert reply.body == "Thanks @deleted-member, that helped!"
    assert handle not in reply.body_html
    assert "deleted-member" in reply.body_html


def test_erasure_report_lists_removed_and_kept_with_reasons(seeded, dpo):
    """The report names what was deleted or anonymised and what stays under legal hold, and why."""
    member, _objects = seeded
    report = services.member_erase(member=member, actor=dpo)
    removed = {(entry["model"], entry["action"]) for entry in report.removed}
    assert ("community.Post", "anonymised") in removed
    assert ("community.Reaction", "deleted") in removed
    assert ("chat.Chat", "deleted") in removed
    assert ("portal.User", "anonymised") in removed
    assert ("community.Post", "rewritten") in removed
    kept = {entry["model"]: entry["reason"] for entry in report.kept}
    assert kept["consent.ConsentEvent"].startswith("Proof of consent")
    assert "consent.AuditEntry" in kept
    assert AuditEntry.objects.filter(subject=member, actor=dpo, action="erase").count() == 1


def test_second_erasure_is_refused_and_changes_nothing(seeded, dpo):
    """Erasing an erased member raises a clear error; the account and the report stay as they were."""
    member, _objects = seeded
    services.member_erase(member=member, actor=dpo)
    member.refresh_from_db()
    before = (member.email, member.handle, member.erased_at)
    with pytest.raises(ValidationError) as caught:
        services.member_erase(member=member, actor=dpo)
    assert caught.value.code == "erased"
    member.refresh_from_db()
    assert (member.email, member.handle, member.erased_at) == before
    assert ErasureReport.objects.count() == 1
    assert AuditEntry.objects.filter(action="erase").count() == 1


def test_customer_cannot_erase_someone_else(customer, other_customer):
    """Only the member themself (or the DPO) erases an account."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.member_erase(member=other_customer, actor=customer)
    other = get_user_model().objects.get(pk=other_customer.pk)
    assert other.erased_at is None
    assert other.email == other_customer.email

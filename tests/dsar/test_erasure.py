"""Erasure: a member seeded across every app is erased, then a scan finds none of their identifiers."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils.text import slugify

from community import services as community
from community.chat import services as chat
from community.models import Forum, ModerationSettings, Post
from consent import registry
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


@pytest.fixture
def seeded(db, home_page, moderator, other_customer, django_capture_on_commit_callbacks):
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
    notification_send(recipient=member, kind="privacy_request", title="Hello Zebulon Quaxworth")
    from wagtail.models import UploadedFile

    upload = UploadedFile(uploaded_by_user=member)
    upload.file.save("avatar-zebulon.txt", ContentFile(b"zebulon.q@example.org"), save=True)
    session = Session.objects.create(
        session_key="s" * 32,
        session_data=Session.objects.encode({"_auth_user_id": str(member.pk)}),
        expire_date="2099-01-01T00:00:00Z",
    )
    return member, {"reply": reply, "other_idea": other_idea, "upload": upload, "session": session}


def _identifiers(member) -> list[str]:
    return [
        member.email,
        member.handle,
        member.get_full_name(),
        "Quaxworth",
        f"user:{member.pk}",
        f"/members/{member.pk}/",
    ]


def _scan_database(needles: list[str]) -> list[str]:
    """Every char/text field of every installed model, including the search index tables."""
    hits = []
    for model in registry.classified_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        if not fields:
            continue
        for needle in needles:
            condition = models.Q()
            for name in fields:
                condition |= models.Q(**{f"{name}__icontains": needle})
            try:
                with transaction.atomic():
                    found = model._default_manager.filter(condition).count()
            except Exception:  # noqa: BLE001  (virtual FTS tables do not support LIKE on every column)
                continue
            if found and (model._meta.label, needle) not in EXCEPTIONS:
                hits.append(f"{model._meta.label}: {needle!r} x{found}")
    return hits


def _scan_media(root, needles: list[str]) -> list[str]:
    hits = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            data = open(path, "rb").read().decode(errors="ignore") + path
            hits += [f"{path}: {needle!r}" for needle in needles if needle.lower() in data.lower()]
    return hits


def test_erasure_leaves_no_identifier_anywhere(seeded, dpo, settings, django_capture_on_commit_callbacks):
    """After erasure the e-mail, name, handle and id-as-link appear in no registered model, index or media file."""
    member, objects = seeded
    needles = _identifiers(member)
    before = _scan_database(needles)
    assert any(hit.startswith("wagtailsearch.IndexEntry") for hit in before), before
    assert any(hit.startswith("community.Post") for hit in before), before
    assert _scan_media(settings.MEDIA_ROOT, needles)
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    member_erased.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.member_erase(member=member, actor=dpo)
    finally:
        member_erased.disconnect(receiver)
    assert _scan_database(needles) == []
    assert _scan_media(settings.MEDIA_ROOT, needles) == []
    assert received == [{"user_id": member.pk, "report_id": report.pk}]


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
    assert Post.objects.filter(author__isnull=True).count() == 2
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

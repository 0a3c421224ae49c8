"""The chat's services: queue, numbering, permissions, broadcasts after commit, retention, thread and tags."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community.chat import events, live, selectors, services
from community.chat.models import Chat, ChatMessage, ChatSettings, ChatStatus, MessageKind
from portal.models import Notification
from portal.roles import Role
from tests.factories import make_member


def test_start_puts_the_chat_in_the_queue_with_numbered_messages(waiting_chat, other_customer):
    """A new chat waits; its first message is seq 1, the queue notice seq 2; later chats queue behind it."""
    rows = list(waiting_chat.messages.order_by("seq").values_list("seq", "kind"))
    assert rows == [(1, MessageKind.MEMBER), (2, MessageKind.SYSTEM)]
    assert waiting_chat.status == ChatStatus.WAITING
    assert waiting_chat.messages.get(seq=1).body_html == "<p>Where is my <strong>March</strong> invoice?</p>"
    second = services.chat_start(member=other_customer, topic="Password reset", body="No mail arrives")
    assert selectors.queue_position(waiting_chat) == 1
    assert selectors.queue_position(second) == 2


def test_outside_business_hours_the_message_becomes_a_private_thread(customer, support_forum, offline_hours):
    """Offline, the topic and message become a private thread in the configured forum; the chat row only points there."""
    from community.models import Thread

    chat = services.chat_start(member=customer, topic="Weekend question", body="Is the **export** down?")
    thread = Thread.objects.get()
    question = thread.posts.get()
    assert (chat.status, chat.thread, chat.get_absolute_url()) == (
        ChatStatus.OFFLINE,
        thread,
        f"/forums/t/{thread.pk}/",
    )
    assert (thread.forum, thread.author, thread.title, thread.is_private, thread.is_held) == (
        support_forum,
        customer,
        "Weekend question",
        True,
        False,
    )
    assert (question.is_question, question.body, question.body_html) == (
        True,
        "Is the **export** down?",
        "<p>Is the <strong>export</strong> down?</p>",
    )
    assert chat.messages.count() == 0
    assert selectors.queue_position(chat) is None
    assert selectors.console_lists() == {"waiting": [], "active": [], "offline": [chat]}
    support_forum.refresh_from_db()
    assert (support_forum.thread_count, support_forum.post_count, support_forum.last_activity_at) == (0, 0, None)


def test_offline_message_is_never_held_for_approval(customer, support_forum, offline_hours):
    """A new member's first post waits for a moderator, but a private question is seen only by staff anyway."""
    from community.models import ModerationSettings

    config = ModerationSettings.load()
    config.hold_first_posts = True
    config.save()
    chat = services.chat_start(member=customer, topic="Weekend question", body="Hello?")
    assert (chat.thread.is_held, chat.thread.posts.get().status) == (False, "published")


def test_without_a_configured_forum_the_first_forum_the_member_may_post_in_is_used(customer, offline_hours):
    """No offline forum set: the first public forum wins over a private one the member cannot see."""
    from community.models import Forum

    Forum.objects.create(name="Beta", slug="beta", is_private=True, order=0)
    Forum.objects.create(name="Blog comments", slug="blog-comments", order=1)
    general = Forum.objects.create(name="General", slug="general", order=2)
    Forum.objects.create(name="Later", slug="later", order=3)
    chat = services.chat_start(member=customer, topic="Weekend question", body="Hello?")
    assert chat.thread.forum == general


def test_a_configured_forum_the_member_cannot_see_falls_back(customer, offline_hours):
    """A private forum set as the offline forum is skipped for members without access to it."""
    from community.models import Forum

    beta = Forum.objects.create(name="Beta", slug="beta", is_private=True, order=0)
    general = Forum.objects.create(name="General", slug="general", order=2)
    config = ChatSettings.load()
    config.offline_forum = beta
    config.save()
    assert services.chat_start(member=customer, topic="Weekend question", body="Hello?").thread.forum == general


def test_without_any_forum_the_offline_message_is_refused_with_a_clear_error(customer, offline_hours):
    """Nowhere to put the message: a validation error says so, and nothing is stored."""
    from community.models import Thread

    with pytest.raises(ValidationError) as caught:
        services.chat_start(member=customer, topic="Weekend question", body="Hello?")
    assert caught.value.messages == [
        "Support is offline and there is no forum to leave a message in. Please try again during business hours."
    ]
    assert (Chat.objects.count(), Thread.objects.count()) == (0, 0)


def test_business_hours_are_read_in_local_time(db):
    config = ChatSettings.load()
    config.hours_enabled = True
    config.mon_opens, config.mon_closes = time(9, 0), time(17, 0)
    monday_10 = timezone.make_aware(timezone.datetime(2026, 11, 23, 10, 0))
    monday_18 = timezone.make_aware(timezone.datetime(2026, 11, 23, 18, 0))
    tuesday_10 = timezone.make_aware(timezone.datetime(2026, 11, 24, 10, 0))
    assert [config.is_open(monday_10), config.is_open(monday_18), config.is_open(tuesday_10)] == [True, False, False]


def test_a_second_open_chat_is_refused(waiting_chat, customer):
    with pytest.raises(ValidationError):
        services.chat_start(member=customer, topic="Another topic", body="More")
    assert Chat.objects.filter(member=customer).count() == 1


@pytest.mark.parametrize(
    ("topic", "body"), [("", "text"), ("abc", "text"), ("Valid topic", ""), ("Valid topic", "x" * 4001)]
)
def test_invalid_start_changes_nothing(customer, topic, body):
    with pytest.raises(ValidationError):
        services.chat_start(member=customer, topic=topic, body=body)
    assert Chat.objects.count() == 0


def test_messages_are_numbered_and_a_repeated_client_id_is_not_stored_twice(active_chat, customer):
    """seq grows by one per message; resending with the same client id returns the stored message."""
    first, created = services.message_post(chat=active_chat, author=customer, body="one", client_id="c-1")
    again, created_again = services.message_post(chat=active_chat, author=customer, body="one", client_id="c-1")
    assert (first.seq, created, again.pk, created_again) == (4, True, first.pk, False)
    assert ChatMessage.objects.filter(chat=active_chat).count() == 4


def test_another_customer_cannot_post_and_nothing_is_stored(waiting_chat, other_customer):
    with pytest.raises(PermissionDenied):
        services.message_post(chat=waiting_chat, author=other_customer, body="hi")
    assert waiting_chat.messages.count() == 2


def test_moderator_writes_only_after_taking_and_only_one_can_take(waiting_chat, moderator):
    other_moderator = make_member(role=Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        services.message_post(chat=waiting_chat, author=moderator, body="hello")
    services.chat_take(chat=waiting_chat, moderator=moderator)
    with pytest.raises(PermissionDenied):
        services.chat_take(chat=waiting_chat, moderator=other_moderator)
    message, _created = services.message_post(chat=waiting_chat, author=moderator, body="hello")
    waiting_chat.refresh_from_db()
    assert (waiting_chat.status, waiting_chat.moderator, message.kind) == (
        ChatStatus.ACTIVE,
        moderator,
        MessageKind.STAFF,
    )


def test_customer_cannot_take_a_chat(waiting_chat, other_customer):
    with pytest.raises(PermissionDenied):
        services.chat_take(chat=waiting_chat, moderator=other_customer)
    waiting_chat.refresh_from_db()
    assert (waiting_chat.status, waiting_chat.moderator_id) == (ChatStatus.WAITING, None)


def test_message_html_is_sanitised(active_chat, customer):
    message, _created = services.message_post(
        chat=active_chat, author=customer, body="<script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<script" not in message.body_html
    assert 'href="javascript' not in message.body_html
    assert message.body_html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))</p>"


def test_broadcast_happens_only_after_commit(active_chat, customer, django_capture_on_commit_callbacks, settings):
    """The message is stored first; the group hears of it only when the transaction commits."""
    # The ordering is what is tested, so an in-process layer; the Redis layers are covered by
    # tests/integration against a running Daphne.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer(live.layer_alias())
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.chat_group(active_chat.pk), channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message, _created = services.message_post(chat=active_chat, author=customer, body="after commit")
    assert ChatMessage.objects.filter(pk=message.pk).exists()
    # The broadcast and the domain event (message_posted, which insight and webhooks hear) wait for the commit.
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    event = async_to_sync(layer.receive)(channel)
    assert (event["type"], event["message"]["seq"], event["message"]["author"]) == (
        "chat.message",
        message.seq,
        customer.handle,
    )


def test_close_keeps_the_transcript_only_with_consent(active_chat, customer, moderator):
    from consent.services import consent_grant

    consent_grant(user=customer, purpose="chat_transcript")
    now = timezone.now()
    chat = services.chat_close(chat=active_chat, actor=moderator, now=now)
    assert (chat.status, chat.transcript_kept) == (ChatStatus.CLOSED, True)
    # Deleted by the "kept with consent" policy (365 days by default), not a day earlier.
    assert not services.retention_due(now=now + timedelta(days=365, seconds=-1)).filter(pk=chat.pk).exists()
    assert services.retention_due(now=now + timedelta(days=365)).filter(pk=chat.pk).exists()


def test_close_without_consent_schedules_deletion_after_the_retention_policy(active_chat, customer):
    from consent.dsar import retention

    retention.policy_update(code="chat.transcripts", days=7, enabled=True, actor=make_member(role=Role.DPO))
    now = timezone.now()
    chat = services.chat_close(chat=active_chat, actor=customer, now=now)
    assert chat.transcript_kept is False
    assert not services.retention_due(now=now + timedelta(days=7, seconds=-1)).filter(pk=chat.pk).exists()
    assert services.retention_due(now=now + timedelta(days=7)).filter(pk=chat.pk).exists()


def test_retention_deletes_due_chats_and_keeps_the_rest(active_chat, customer, other_customer, moderator):
    """A chat past its date is deleted with its messages; a younger one stays."""
    closed = services.chat_close(chat=active_chat, actor=moderator, now=timezone.now() - timedelta(days=31))
    young = services.chat_start(member=other_customer, topic="Still fresh", body="hi")
    services.chat_close(chat=young, actor=other_customer)
    assert services.chat_retention_run() == 1
    assert not Chat.objects.filter(pk=closed.pk).exists()
    assert ChatMessage.objects.filter(chat_id=closed.pk).count() == 0
    assert Chat.objects.filter(pk=young.pk).exists()


def test_withdrawn_consent_shortens_a_kept_transcript(active_chat, customer, moderator):
    from consent.services import consent_grant, consent_withdraw

    consent_grant(user=customer, purpose="chat_transcript")
    chat = services.chat_close(chat=active_chat, actor=moderator, now=timezone.now() - timedelta(days=40))
    assert chat.transcript_kept is True
    consent_withdraw(user=customer, purpose="chat_transcript")
    assert services.chat_retention_run() == 1
    assert not Chat.objects.filter(pk=chat.pk).exists()


def test_transfer_goes_to_another_moderator_only(active_chat, moderator, customer):
    other_moderator = make_member(role=Role.MODERATOR)
    with pytest.raises(ValidationError):
        services.chat_transfer(chat=active_chat, actor=moderator, to=customer)
    chat = services.chat_transfer(chat=active_chat, actor=moderator, to=other_moderator)
    assert chat.moderator == other_moderator
    assert Notification.objects.filter(recipient=other_moderator, kind="chat.assigned").count() == 1
    with pytest.raises(PermissionDenied):
        services.message_post(chat=chat, author=moderator, body="I left")


def test_tag_sends_chat_tagged_after_commit(active_chat, moderator, customer, django_capture_on_commit_callbacks):
    received = []

    def receiver(**kwargs):
        received.append((kwargs["chat"].pk, kwargs["tag"].name, kwargs["actor"].pk))

    events.chat_tagged.connect(receiver)
    try:
        with pytest.raises(PermissionDenied):
            services.chat_tag_add(chat=active_chat, actor=customer, name="lead")
        with django_capture_on_commit_callbacks(execute=True):
            services.chat_tag_add(chat=active_chat, actor=moderator, name="#Lead")
            assert received == []
    finally:
        events.chat_tagged.disconnect(receiver)
    assert received == [(active_chat.pk, "lead", moderator.pk)]
    assert list(active_chat.tags.values_list("name", flat=True)) == ["lead"]


def test_thread_is_created_only_when_the_member_accepts(active_chat, moderator, customer, other_customer, forum):
    from community.models import Thread

    services.message_post(chat=active_chat, author=moderator, body="Invoices are under Billing.")
    services.chat_thread_offer(chat=active_chat, actor=moderator, forum=forum)
    assert Thread.objects.count() == 0
    with pytest.raises(PermissionDenied):
        services.chat_thread_accept(chat=active_chat, member=other_customer)
    chat = services.chat_thread_accept(chat=active_chat, member=customer)
    thread = Thread.objects.get()
    assert (chat.thread, thread.author, thread.title, thread.forum) == (thread, customer, "Invoice is missing", forum)
    first = thread.posts.get()
    assert first.body.startswith("Where is my **March** invoice?")
    assert f"**Support (@{moderator.handle}):**\n> Invoices are under Billing." in first.body


def test_staff_answer_offline_messages_with_a_normal_reply_in_the_thread(
    customer, moderator, support_forum, offline_hours, django_capture_on_commit_callbacks
):
    """The member's own follow-up keeps it in the console; a moderator's reply answers it and notifies the member."""
    from community.services import post_create

    chat = services.chat_start(member=customer, topic="Weekend question", body="Hello?")
    post_create(thread=chat.thread, author=customer, body="Also: the export hangs.")
    assert selectors.console_lists()["offline"] == [chat]
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_create(thread=chat.thread, author=moderator, body="We are back on Monday.")
    assert selectors.console_lists()["offline"] == []
    notes = list(Notification.objects.filter(recipient=customer).values_list("kind", "url"))
    assert notes == [("community.reply", f"/forums/p/{answer.pk}/")]
    chat.refresh_from_db()
    assert (chat.status, chat.messages.count()) == (ChatStatus.OFFLINE, 0)


def test_a_hidden_offline_thread_leaves_the_console(customer, moderator, support_forum, offline_hours):
    """Spam hidden by a moderator is no longer waiting for an answer."""
    from community.services import thread_set_hidden

    chat = services.chat_start(member=customer, topic="Buy cheap stuff", body="spam")
    thread_set_hidden(thread=chat.thread, moderator=moderator, hidden=True, reason="spam")
    assert selectors.console_lists()["offline"] == []


def test_offline_messages_cannot_be_offered_as_public_threads(customer, moderator, support_forum, offline_hours):
    """The old chat actions do not apply to an offline message: it already is a thread."""
    chat = services.chat_start(member=customer, topic="Weekend question", body="Hello?")
    with pytest.raises(PermissionDenied):
        services.chat_thread_offer(chat=chat, actor=moderator, forum=support_forum)
    with pytest.raises(PermissionDenied):
        services.message_post(chat=chat, author=customer, body="more")
    assert chat.messages.count() == 0


def test_delivery_marks_only_the_other_sides_lines(active_chat, moderator, customer):
    staff, _c = services.message_post(chat=active_chat, author=moderator, body="Hi")
    own, _c = services.message_post(chat=active_chat, author=customer, body="Hello")
    assert services.messages_mark_delivered(chat=active_chat, reader=customer, up_to_seq=own.seq) == 1
    staff.refresh_from_db()
    own.refresh_from_db()
    assert (staff.delivered_at is not None, own.delivered_at) == (True, None)


def test_transcript_lists_every_line(active_chat, moderator, customer):
    services.message_post(chat=active_chat, author=moderator, body="Hello there")
    text = selectors.transcript_text(active_chat)
    assert "Chat transcript: Invoice is missing" in text
    assert f"{customer.handle}: Where is my **March** invoice?" in text
    assert f"{moderator.handle} (support): Hello there" in text
    assert f"* {moderator.handle} joined the chat." in text


def test_kb_suggestions_never_fail_the_chat(monkeypatch, db):
    import knowledgebase.search

    def broken(**kwargs):
        raise RuntimeError("search down")

    monkeypatch.setattr(knowledgebase.search, "article_suggestions", broken)
    assert selectors.kb_suggestions("invoice") == []


def test_the_transcript_gives_times_in_the_readers_own_format(active_chat):
    """German readers get "06.12.2026 14:05", English ones the English format: the pages' formats, not ISO."""
    from django.utils import timezone, translation
    from django.utils.formats import date_format

    started = timezone.localtime(active_chat.created_at)
    for language in ("de", "en"):
        with translation.override(language):
            text = selectors.transcript_text(active_chat)
            assert date_format(started, "SHORT_DATETIME_FORMAT") in text
            assert started.strftime("%Y-%m-%d") not in text

"""The chat pages: start, room, transcript, console, thread acceptance, offline messages; budgets and German."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from community.chat import services
from community.chat.models import Chat, ChatSettings
from community.models import Thread
from portal.roles import Role
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _site(home_page):
    """Pages render inside the branded site."""
    return home_page


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/chat/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert client.get("/chat/console/").status_code == 302


def test_customer_starts_a_chat_from_the_chat_page(client, customer):
    client.force_login(customer)
    page = client.get("/chat/")
    assert page.status_code == 200
    assert "Start a chat" in page.content.decode()
    response = client.post("/chat/", {"topic": "Invoice is missing", "body": "Where is it?"})
    chat = Chat.objects.get(member=customer)
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{chat.pk}/"
    room = client.get(response["Location"]).content.decode()
    assert "Where is it?" in room
    assert "Your place in the queue: 1" in room
    assert client.get("/chat/")["Location"] == f"/chat/{chat.pk}/"


def test_invalid_start_shows_errors_and_creates_nothing(client, customer):
    client.force_login(customer)
    response = client.post("/chat/", {"topic": "abc", "body": "x"})
    assert response.status_code == 200
    assert "at least 5 characters" in response.content.decode()
    assert Chat.objects.count() == 0


def test_page_is_german_for_german_members(client, db):
    member = make_member(role=Role.CUSTOMER, preferred_language="de")
    client.force_login(member)
    body = client.get("/chat/").content.decode()
    assert "Chat mit dem Support" in body
    assert "Chat starten" in body


def test_other_customers_cannot_open_the_room_or_the_transcript(client, waiting_chat, other_customer):
    client.force_login(other_customer)
    assert client.get(f"/chat/{waiting_chat.pk}/").status_code == 404
    assert client.get(f"/chat/{waiting_chat.pk}/transcript/").status_code == 404
    assert client.post(f"/chat/{waiting_chat.pk}/accept-thread/").status_code == 404


def test_member_downloads_their_transcript(client, active_chat, customer):
    client.force_login(customer)
    response = client.get(f"/chat/{active_chat.pk}/transcript/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="chat-{active_chat.pk}.txt"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("Chat transcript: Invoice is missing\n")
    assert f"{customer.handle}: Where is my **March** invoice?" in text


def test_console_is_for_moderators_only(client, waiting_chat, customer, moderator, editor):
    client.force_login(customer)
    assert client.get("/chat/console/").status_code == 403
    assert client.get(f"/chat/console/{waiting_chat.pk}/").status_code == 403
    client.force_login(editor)
    assert client.get("/chat/console/").status_code == 403
    client.force_login(moderator)
    page = client.get("/chat/console/").content.decode()
    assert "Invoice is missing" in page
    detail = client.get(f"/chat/console/{waiting_chat.pk}/").content.decode()
    assert f"@{customer.handle}" in detail
    assert customer.email not in detail
    assert customer.first_name not in detail


def _make_chat_with_lines(member, moderator, lines: int) -> Chat:
    chat = services.chat_start(member=member, topic="Long conversation", body="first")
    services.chat_take(chat=chat, moderator=moderator)
    chat.refresh_from_db()
    for n in range(lines):
        author = moderator if n % 2 else member
        services.message_post(chat=chat, author=author, body=f"line {n}")
    return chat


@pytest.mark.parametrize("url_name", ["room", "console_chat"])
def test_query_budget_does_not_grow_with_messages(client, django_assert_num_queries, settings, url_name):
    """The room and the console chat page cost the same number of queries at 5 and 50 lines."""
    settings.CHAT_MEMBER_MESSAGES_PER_MINUTE = 1000
    moderator = make_member(role=Role.MODERATOR)
    budget = None
    for lines in (5, 50):
        member = make_member(role=Role.CUSTOMER)
        chat = _make_chat_with_lines(member, moderator, lines)
        client.force_login(member if url_name == "room" else moderator)
        url = reverse(f"chat:{url_name}", args=[chat.pk])
        client.get(url)  # warm caches (site settings, content types)
        if budget is None:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            budget = len(ctx.captured_queries)
        else:
            with django_assert_num_queries(budget):
                assert client.get(url).status_code == 200


def test_member_accepts_the_thread_offer(client, active_chat, customer, moderator, forum):
    services.chat_thread_offer(chat=active_chat, actor=moderator, forum=forum)
    client.force_login(customer)
    room = client.get(f"/chat/{active_chat.pk}/").content.decode()
    assert "Publish as forum thread" in room
    response = client.post(f"/chat/{active_chat.pk}/accept-thread/")
    thread = Thread.objects.get()
    assert response["Location"] == thread.get_absolute_url()
    assert thread.author == customer
    assert client.post(f"/chat/{active_chat.pk}/accept-thread/").status_code == 302
    assert Thread.objects.count() == 1


OFFLINE_NOTICE = "We’re offline — your message became a private question; support answers here and you’ll be notified."


def test_offline_the_member_lands_on_the_private_thread_with_a_notice(client, customer, support_forum, offline_hours):
    """Outside business hours the start form leads to the private thread, with a status notice."""
    client.force_login(customer)
    page = client.get("/chat/").content.decode()
    assert "it becomes a private question in the forums" in page
    assert "Send message" in page
    response = client.post("/chat/", {"topic": "Weekend question", "body": "Anyone there?"}, follow=True)
    thread = Thread.objects.get()
    assert response.redirect_chain == [(f"/forums/t/{thread.pk}/", 302)]
    html = response.content.decode()
    assert f'<p class="message message--info">{OFFLINE_NOTICE}</p>' in html
    assert '<div class="messages" role="status" aria-live="polite">' in html
    assert 'id="private-notice" role="status"' in html
    assert "Private question: only you and the support team can see it." in html
    assert "Anyone there?" in html
    earlier = client.get("/chat/").content.decode()
    assert f'<a href="/forums/t/{thread.pk}/">Weekend question</a>' in earlier
    assert "private question in the forums" in earlier
    chat = Chat.objects.get(member=customer)
    assert client.get(f"/chat/{chat.pk}/")["Location"] == f"/forums/t/{thread.pk}/"


def test_moderators_find_offline_messages_in_the_console_and_answer_in_the_thread(
    client, customer, moderator, support_forum, offline_hours
):
    """The console lists the offline message with a link to its thread; the normal reply answers it."""
    chat = services.chat_start(member=customer, topic="Weekend question", body="Anyone there?")
    client.force_login(moderator)
    console = client.get("/chat/console/").content.decode()
    assert f'<a href="/forums/t/{chat.thread_id}/">Weekend question</a>' in console
    assert client.get(f"/chat/console/{chat.pk}/")["Location"] == f"/forums/t/{chat.thread_id}/"
    page = client.get(f"/forums/t/{chat.thread_id}/").content.decode()
    assert "Private question: only its author and the moderators of this forum can see it." in page
    response = client.post(f"/forums/t/{chat.thread_id}/reply/", {"body": "Yes, on Monday.", "action": "publish"})
    assert response.status_code == 302
    assert "Weekend question" not in client.get("/chat/console/").content.decode()
    client.force_login(customer)
    assert "Yes, on Monday." in client.get(f"/forums/t/{chat.thread_id}/").content.decode()


def test_other_customers_cannot_open_an_offline_message(client, customer, other_customer, support_forum, offline_hours):
    """Neither the thread nor the chat row of someone else's offline message is reachable."""
    chat = services.chat_start(member=customer, topic="Weekend question", body="Anyone?")
    client.force_login(other_customer)
    assert client.get(f"/forums/t/{chat.thread_id}/").status_code == 404
    assert client.get(f"/chat/{chat.pk}/").status_code == 404
    assert client.post(f"/forums/t/{chat.thread_id}/reply/", {"body": "me", "action": "publish"}).status_code == 404
    assert chat.thread.posts.count() == 1


def test_the_old_in_chat_answer_path_is_gone(client, customer, moderator, support_forum, offline_hours):
    """There is one way to answer an offline message: the thread."""
    chat = services.chat_start(member=customer, topic="Weekend question", body="Anyone?")
    client.force_login(moderator)
    assert client.post(f"/chat/console/{chat.pk}/answer/", {"body": "Yes"}).status_code == 404
    assert (chat.messages.count(), chat.thread.posts.count()) == (0, 1)


def test_offline_without_a_forum_shows_a_clear_error(client, customer, offline_hours):
    client.force_login(customer)
    response = client.post("/chat/", {"topic": "Weekend question", "body": "Anyone?"})
    assert response.status_code == 200
    assert "Support is offline and there is no forum to leave a message in." in response.content.decode()
    assert (Chat.objects.count(), Thread.objects.count()) == (0, 0)


def test_offline_notice_is_german_for_german_members(client, support_forum, offline_hours):
    member = make_member(role=Role.CUSTOMER, preferred_language="de")
    client.force_login(member)
    response = client.post("/chat/", {"topic": "Frage am Wochenende", "body": "Jemand da?"}, follow=True)
    html = response.content.decode()
    assert "Wir sind gerade offline" in html
    assert "Private Frage" in html


def test_offline_forum_is_chosen_in_the_back_office(client, administrator, support_forum):
    """Administrators pick the offline forum in the chat settings; private forums are not offered."""
    from community.models import Forum

    Forum.objects.create(name="Secret", slug="secret", is_private=True)
    client.force_login(administrator)
    url = f"/admin/settings/chat/chatsettings/{ChatSettings.load().pk}/"
    page = client.get(url).content.decode()
    assert 'name="offline_forum"' in page
    assert f'<option value="{support_forum.pk}" selected>Support</option>' in page
    assert ">Secret</option>" not in page


def test_retention_command_deletes_due_chats(active_chat, moderator, capsys):
    from datetime import timedelta

    from django.utils import timezone

    services.chat_close(chat=active_chat, actor=moderator, now=timezone.now() - timedelta(days=60))
    call_command("chat_retention", "--dry-run")
    assert capsys.readouterr().out.strip() == "1 chat(s) due for deletion"
    call_command("chat_retention")
    assert capsys.readouterr().out.strip() == "1 chat(s) deleted"
    assert Chat.objects.count() == 0


def test_every_chat_model_is_classified_in_the_personal_data_registry(db):
    from django.apps import apps

    from consent.registry import is_classified, problems

    models = apps.get_app_config("chat").get_models()
    assert all(is_classified(m) for m in models)
    assert [p for p in problems() if p.startswith("chat.")] == []


def test_business_hours_are_set_in_the_back_office(client, administrator, moderator):
    """Administrators edit the business hours as a site setting; moderators do not."""
    url = f"/admin/settings/chat/chatsettings/{ChatSettings.load().pk}/"
    client.force_login(moderator)
    denied = client.get(url)
    assert denied.status_code == 302
    assert "chatsettings" not in denied["Location"]
    client.force_login(administrator)
    page = client.get(url)
    assert page.status_code == 200
    assert "hours_enabled" in page.content.decode()


def test_moderators_manage_canned_replies_in_the_back_office(client, moderator, customer):
    from community.chat.models import CannedReply

    CannedReply.objects.create(title="Greeting", body="Hello!")
    client.force_login(moderator)
    listing = client.get("/admin/snippets/chat/cannedreply/")
    assert listing.status_code == 200
    assert "Greeting" in listing.content.decode()
    client.force_login(customer)
    assert client.get("/admin/snippets/chat/cannedreply/").status_code == 302

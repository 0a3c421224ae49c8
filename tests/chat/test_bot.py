"""The chat's help bot: exact answers from the knowledge base and accepted answers, feedback, hand-over, hours."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Locale
from wagtail.search import index as search_index

from community import services as community_services
from community.chat import bot, selectors, services
from community.chat.models import BotAnswer, BotHelped, Chat, ChatStatus, MessageKind
from community.models import Forum, ModerationSettings
from knowledgebase.models import KBArticlePage, KBCategoryPage, KBIndexPage
from portal.roles import Role
from tests.factories import make_member

EXPORT_EN = "Export large projects without timeouts"
EXPORT_DE = "Große Projekte ohne Zeitüberschreitung exportieren"


def _publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    search_index.insert_or_update_object(page)
    return page


def _german(page, **fields):
    german = page.copy_for_translation(Locale.objects.get(language_code="de"), copy_parents=True)
    for name, value in fields.items():
        setattr(german, name, value)
    german.save()
    return _publish(german)


@pytest.fixture
def kb(home_page):
    """Two articles in English and German, as editors publish them."""
    index = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb", intro="Answers."))
    _publish(index)
    category = index.add_child(instance=KBCategoryPage(title="Exports", slug="exports"))
    _publish(category)
    export = category.add_child(
        instance=KBArticlePage(
            title=EXPORT_EN,
            slug="export-large-projects",
            summary="Exports of more than 10,000 items run in the background: you get an e-mail with a download link.",
        )
    )
    _publish(export)
    create = category.add_child(
        instance=KBArticlePage(
            title="Create your first project",
            slug="create-your-first-project",
            summary="A project holds your items, members and settings. This is how you create one.",
        )
    )
    _publish(create)
    export_de = _german(
        export,
        title=EXPORT_DE,
        summary="Exporte mit mehr als 10.000 Einträgen laufen im Hintergrund: Sie erhalten eine E-Mail mit Link.",
    )
    _german(create, title="Ihr erstes Projekt anlegen", summary="Ein Projekt enthält Ihre Einträge.")
    return {"en": KBArticlePage.objects.get(pk=export.pk), "de": export_de}


def _answered(forum, *, asker, answerer, title, body, answer, private=False):
    thread = community_services.thread_create(forum=forum, author=asker, title=title, body=body, is_private=private)
    post = community_services.post_create(thread=thread, author=answerer, body=answer)
    community_services.answer_accept(thread=thread, post=post, actor=asker)
    for item in thread.posts.all():
        search_index.insert_or_update_object(item)
    thread.refresh_from_db()
    return thread


@pytest.fixture
def forum_answers(db):
    """A public answered thread, a private one in a public forum and an answered thread in a private forum."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    asker, answerer = make_member(role=Role.CUSTOMER), make_member(role=Role.MODERATOR)
    public = Forum.objects.create(name="Help", slug="help")
    hidden = Forum.objects.create(name="Beta testers", slug="beta-testers", is_private=True)
    community_services.forum_grant_access(forum=hidden, user=asker)
    return {
        "public": _answered(
            public,
            asker=asker,
            answerer=answerer,
            title="How do I reset my API key?",
            body="I lost my API key for the dashboard.",
            answer="Open *Settings → API keys* and click **Create key**. The old key stops working at once.",
        ),
        "private_thread": _answered(
            public,
            asker=asker,
            answerer=answerer,
            title="Change the billing address on my invoices",
            body="My billing address on invoices is outdated.",
            answer="I changed the billing address on your invoices for you.",
            private=True,
        ),
        "private_forum": _answered(
            hidden,
            asker=asker,
            answerer=answerer,
            title="Beta dashboard dark mode contrast",
            body="The beta dashboard dark mode contrast is too low.",
            answer="The beta dashboard dark mode contrast is fixed in build 42.",
        ),
    }


def _kinds(chat) -> list[str]:
    return list(chat.messages.order_by("seq").values_list("kind", flat=True))


def test_the_bot_answers_a_knowledge_base_question_in_english(kb, forum_answers, customer):
    """The English article is the answer: extract, link and "Did this solve it?"; nobody is queued yet."""
    chat = services.chat_start(
        member=customer, topic="Export of a large project", body="How do I export large projects without timeouts?"
    )
    assert chat.status == ChatStatus.BOT
    assert _kinds(chat) == [MessageKind.MEMBER, MessageKind.BOT]
    answer = BotAnswer.objects.get(chat=chat)
    assert (answer.source_kind, answer.source_id, answer.helped, answer.handed_over) == (
        "kb_article",
        kb["en"].pk,
        BotHelped.UNKNOWN,
        False,
    )
    line = chat.messages.get(kind=MessageKind.BOT)
    assert line.body_html == (
        "<p>This article in the knowledge base may answer your question:</p>"
        f'<p><a href="{kb["en"].get_url()}"><strong>{EXPORT_EN}</strong></a></p>'
        "<blockquote><p>Exports of more than 10,000 items run in the background: you get an e-mail with a "
        "download link.</p></blockquote><p>Did this solve it?</p>"
    )
    assert selectors.console_lists()["waiting"] == []


def test_the_bot_answers_in_german_from_the_german_article(kb, forum_answers, customer):
    """A member writing German gets the German article, in German."""
    chat = services.chat_start(
        member=customer,
        topic="Export großer Projekte",
        body="Wie kann ich große Projekte ohne Zeitüberschreitung exportieren?",
        language="de",
    )
    assert (chat.status, chat.language) == (ChatStatus.BOT, "de")
    answer = BotAnswer.objects.get(chat=chat)
    assert (answer.source_kind, answer.source_id) == ("kb_article", kb["de"].pk)
    html = chat.messages.get(kind=MessageKind.BOT).body_html
    assert html.startswith("<p>Dieser Artikel der Wissensdatenbank beantwortet vielleicht Ihre Frage:</p>")
    assert f"<strong>{EXPORT_DE}</strong>" in html
    assert html.endswith("<p>Hat das Ihr Problem gelöst?</p>")


def test_the_bot_answers_with_a_public_accepted_answer(kb, forum_answers, customer):
    """A question the forum answered publicly gets that accepted answer, linked."""
    chat = services.chat_start(member=customer, topic="API key lost", body="How can I reset my API key?")
    answer = BotAnswer.objects.get(chat=chat)
    accepted = forum_answers["public"].accepted_post
    assert (answer.source_kind, answer.source_id) == ("forum_answer", accepted.pk)
    html = chat.messages.get(kind=MessageKind.BOT).body_html
    assert html.startswith("<p>This accepted answer in the forums may help:</p>")
    assert f'href="{accepted.get_absolute_url()}"' in html
    assert "Open Settings → API keys and click Create key." in html


def test_answers_of_private_threads_and_forums_are_never_used(kb, forum_answers, customer):
    """Questions only a private thread or a private forum answers get no answer: the member waits for a person."""
    assert bot.forum_answers("billing address invoices", "en", 20) == []
    # "dashboard" also finds the public thread, with a low score; the private forum's answer is not among them.
    found = bot.forum_answers("beta dashboard dark mode contrast", "en", 20)
    assert [(row["id"], row["score"]) for row in found] == [(forum_answers["public"].accepted_post_id, 0.14)]
    for topic, body in (
        ("Billing address", "Change the billing address on my invoices"),
        ("Dark mode", "Beta dashboard dark mode contrast"),
    ):
        chat = services.chat_start(member=make_member(role=Role.CUSTOMER), topic=topic, body=body)
        assert chat.status == ChatStatus.WAITING
        assert not BotAnswer.objects.filter(chat=chat).exists()


def test_below_the_threshold_there_is_no_answer_and_a_person_is_offered(kb, forum_answers, customer, settings):
    """Without a confident match the chat goes to the staff queue at once; with the bot a later miss says so."""
    chat = services.chat_start(member=customer, topic="Invoice is missing", body="Where is my March invoice?")
    assert chat.status == ChatStatus.WAITING
    assert _kinds(chat) == [MessageKind.MEMBER, MessageKind.SYSTEM]
    assert [c.pk for c in selectors.console_lists()["waiting"]] == [chat.pk]
    assert BotAnswer.objects.count() == 0

    settings.CHAT_BOT_MIN_SCORE = 0.99
    strict = services.chat_start(
        member=make_member(role=Role.CUSTOMER), topic="Export", body="How do I export large projects quickly?"
    )
    assert (strict.status, BotAnswer.objects.count()) == (ChatStatus.WAITING, 0)

    settings.CHAT_BOT_MIN_SCORE = 0.6
    other = make_member(role=Role.CUSTOMER)
    with_bot = services.chat_start(member=other, topic="Exports", body="How do I export large projects?")
    assert with_bot.status == ChatStatus.BOT
    line, _created = services.message_post(chat=with_bot, author=other, body="My printer is on fire")
    assert services.bot_reply(chat=with_bot, message=line) is None
    last = with_bot.messages.order_by("-seq").first()
    assert (last.kind, last.body) == (
        MessageKind.BOT,
        "I could not find an answer to that. Talk to a person, or describe it in other words.",
    )
    assert BotAnswer.objects.filter(chat=with_bot).count() == 1


def test_feedback_is_counted_once_per_answer(kb, forum_answers, customer):
    """Yes is stored and answered; a second click changes nothing; No on a later answer is stored too."""
    chat = services.chat_start(member=customer, topic="Exports", body="How do I export large projects?")
    first = BotAnswer.objects.get(chat=chat)
    services.bot_feedback_record(chat=chat, member=customer, answer_id=first.pk, helped=True)
    services.bot_feedback_record(chat=chat, member=customer, answer_id=str(first.pk), helped=False)
    first.refresh_from_db()
    assert first.helped == BotHelped.YES
    assert chat.messages.filter(kind=MessageKind.BOT).order_by("seq").last().body == (
        "Glad it helped! You can end the chat now."
    )
    line, _created = services.message_post(chat=chat, author=customer, body="And how do I create my first project?")
    second = services.bot_reply(chat=chat, message=line)
    assert (
        second.source_id == KBArticlePage.objects.get(slug="create-your-first-project", locale__language_code="en").pk
    )
    services.bot_feedback_record(chat=chat, member=customer, answer_id=second.pk, helped=False)
    assert list(BotAnswer.objects.filter(chat=chat).order_by("pk").values_list("helped", flat=True)) == [
        BotHelped.YES,
        BotHelped.NO,
    ]
    intruder = make_member(role=Role.CUSTOMER)
    with pytest.raises(services.PermissionDenied):
        services.bot_feedback_record(chat=chat, member=intruder, answer_id=second.pk, helped=True)


def test_talk_to_a_person_hands_over_the_whole_conversation(kb, forum_answers, customer, moderator, client):
    """No, then "Talk to a person": the chat waits for staff, whose console shows every line, the bot's too."""
    client.force_login(customer)
    response = client.post(
        reverse("chat:home"),
        {"topic": "Export of a large project", "body": "How do I export large projects without timeouts?"},
    )
    chat = Chat.objects.get(member=customer)
    assert response.url == reverse("chat:room", args=[chat.pk])
    page = client.get(response.url).content.decode()
    assert 'id="chat-talk-to-person">Talk to a person</button>' in page
    answer = BotAnswer.objects.get(chat=chat)
    client.post(reverse("chat:bot_feedback", args=[chat.pk]), {"answer": answer.pk, "helped": "no"})
    response = client.post(reverse("chat:talk_to_person", args=[chat.pk]))
    assert response.url == reverse("chat:room", args=[chat.pk])
    chat.refresh_from_db()
    answer.refresh_from_db()
    assert (chat.status, answer.helped, answer.handed_over) == (ChatStatus.WAITING, BotHelped.NO, True)
    assert _kinds(chat) == [MessageKind.MEMBER, MessageKind.BOT, MessageKind.BOT, MessageKind.SYSTEM]
    assert [c.pk for c in selectors.console_lists()["waiting"]] == [chat.pk]

    client.force_login(moderator)
    console = client.get(reverse("chat:console_chat", args=[chat.pk])).content.decode()
    assert "How do I export large projects without timeouts?" in console
    assert f"<strong>{EXPORT_EN}</strong>" in console
    assert "Sorry it did not help. Talk to a person, or describe the problem in other words." in console
    assert console.count('<span class="tag tag--bot">Automated</span>') == 2
    assert "data-bot-feedback" not in console  # staff see the conversation, not the member's buttons
    services.chat_take(chat=chat, moderator=moderator)
    chat.refresh_from_db()
    assert chat.status == ChatStatus.ACTIVE


def test_outside_business_hours_the_bot_says_so_and_offers_the_offline_message(
    kb, forum_answers, customer, offline_hours, support_forum, client
):
    """The bot still answers; it says nobody can join; one click leaves the conversation as an offline message."""
    chat = services.chat_start(member=customer, topic="Exports", body="How do I export large projects?")
    assert chat.status == ChatStatus.BOT
    last = chat.messages.order_by("-seq").first()
    assert last.kind == MessageKind.BOT
    assert last.body.startswith("Support is offline right now (outside business hours), so no person can join")
    client.force_login(customer)
    page = client.get(reverse("chat:room", args=[chat.pk])).content.decode()
    assert "Nobody from support is available right now (outside business hours)." in page
    assert 'id="chat-talk-to-person">Leave an offline message</button>' in page

    response = client.post(reverse("chat:talk_to_person", args=[chat.pk]))
    chat.refresh_from_db()
    assert chat.status == ChatStatus.OFFLINE
    assert response.url == chat.thread.get_absolute_url()
    assert (chat.thread.forum_id, chat.thread.is_private) == (support_forum.pk, True)
    question = chat.thread.posts.get(is_question=True).body
    assert question.startswith("How do I export large projects?\n\n**Help bot (automated):**\n> This article")
    assert BotAnswer.objects.get(chat=chat).handed_over is True


def test_bot_answers_go_with_the_chat(kb, forum_answers, customer):
    """Retention deletes a chat's bot answers with it."""
    chat = services.chat_start(member=customer, topic="Exports", body="How do I export large projects?")
    services.chat_close(chat=chat, actor=customer)
    assert services.chat_retention_delete(queryset=Chat.objects.filter(pk=chat.pk)) == 1
    assert BotAnswer.objects.count() == 0

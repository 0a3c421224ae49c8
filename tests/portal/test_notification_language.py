"""Notifications are stored as a message and its parameters and worded in the reader's language."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from community.models import Forum, ModerationSettings
from community.services import post_create, thread_create
from consent.dsar.services.erasure import member_erase
from portal.models import Notification
from portal.notifications import FALLBACK_MESSAGE, MESSAGES, notification_send
from portal.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

# Sample values for each parameter name a registered sentence uses (codes and ISO dates as they are stored).
SAMPLES = {
    "date": "2026-03-05",
    "until": "2026-03-05T14:30:00+00:00",
    "status": "planned",
    "actor": "",
    "handle": "",
}
# What a converter would leak into German if it ignored the active language.
ENGLISH_LEAKS = ("March", "Planned", "the system", "deleted member", "PM", "a.m.", "p.m.")


def _placeholders(*texts) -> set[str]:
    return {name for text in texts for name in re.findall(r"%\((\w+)\)s", str(text))}


def _sample(spec) -> dict:
    return {name: SAMPLES.get(name, "Qx") for name in _placeholders(spec.title, spec.body)}


def test_a_notice_caused_in_english_is_shown_and_mailed_in_german_to_a_german_reader(
    client, django_capture_on_commit_callbacks
):
    """The reply notice is stored as code + parameters; the German asker reads it and gets the mail in German."""
    asker = make_member(role=Role.CUSTOMER, preferred_language="de")
    replier = make_member(role=Role.CUSTOMER, preferred_language="en")
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    forum = Forum.objects.create(name="General", slug="general", description="Anything")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        thread = thread_create(forum=forum, author=asker, title="Drucker offline", body="Hilfe, bitte.")
        mail.outbox.clear()
        post_create(thread=thread, author=replier, body="Try turning it off and on.")
    notice = Notification.objects.get(recipient=asker)
    assert (notice.message, notice.params) == (
        "community.reply",
        {"handle": replier.handle, "title": "Drucker offline"},
    )
    german = f"@{replier.handle} hat auf „Drucker offline“ geantwortet"
    assert [m.subject for m in mail.outbox] == [german]
    client.force_login(asker)
    page = client.get(reverse("notifications")).content.decode()
    assert german in page
    assert "replied to" not in page
    with translation.override("en"):
        assert notice.title == f"@{replier.handle} replied to “Drucker offline”"


def test_relative_times_read_naturally_in_each_language(client, customer):
    """A notice from five minutes ago reads "vor 5 Minuten" in German and "5 minutes ago" in English."""
    notice = notification_send(recipient=customer, kind="account", message=FALLBACK_MESSAGE, params={"title": "Hi"})
    Notification.objects.filter(pk=notice.pk).update(created_at=timezone.now() - timedelta(minutes=5, seconds=3))
    client.force_login(customer)
    english = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    customer.preferred_language = "de"
    customer.save(update_fields=["preferred_language"])
    german = client.get(reverse("notifications")).content.decode()
    assert re.search(r">5\sminutes ago<", english)
    assert re.search(r">vor 5\sMinuten<", german)


def test_every_message_is_worded_in_german_and_english_without_english_in_the_german():
    """Each registered sentence has a German translation, and its converted values follow the language."""
    assert {"community.reply", "ideas.status", "dsar.received", "chat.transferred"} <= set(MESSAGES)
    untranslated = []
    for code, spec in MESSAGES.items():
        if code == FALLBACK_MESSAGE:
            continue
        params = _sample(spec)
        with translation.override("en"):
            english = spec.wording(params)
        with translation.override("de"):
            german = spec.wording(params)
        for en_text, de_text, source in zip(english, german, (spec.title, spec.body), strict=True):
            if re.sub(r"%\(\w+\)s", "", str(source)).strip(" .:;,“”") and en_text == de_text:
                untranslated.append((code, en_text))
        leaks = [word for word in ENGLISH_LEAKS if any(word in text for text in german)]
        assert leaks == [], (code, german)
    assert untranslated == []


def test_converted_values_follow_the_reader_language():
    """Dates take the locale's format, a status its translated label, a missing actor a translated word."""
    with translation.override("de"):
        assert (
            MESSAGES["dsar.received"].wording({"date": "2026-03-05"})[1] == "Wir antworten spätestens bis 5. März 2026."
        )
        assert MESSAGES["ideas.status"].wording({"title": "PDF", "status": "planned", "response": ""}) == (
            "Idee „PDF“ hat jetzt den Status: Geplant",
            "",
        )
    with translation.override("en"):
        assert MESSAGES["dsar.received"].wording({"date": "2026-03-05"})[1] == (
            "We will answer by March 5, 2026 at the latest."
        )


def test_an_unknown_message_or_missing_parameter_is_refused_when_sending(customer):
    """A sender cannot store a sentence the reader could not have worded, nor a pre-translated text."""
    with pytest.raises(ValueError):
        notification_send(recipient=customer, kind="account", message="no.such.message")
    with pytest.raises(KeyError):
        notification_send(recipient=customer, kind="account", message="community.reply", params={"title": "x"})
    with pytest.raises(TypeError):
        notification_send(
            recipient=customer,
            kind="account",
            message=FALLBACK_MESSAGE,
            params={"title": translation.gettext_lazy("Hi")},
        )
    assert Notification.objects.filter(recipient=customer).count() == 0


def test_erasure_replaces_the_member_handle_in_other_members_notification_parameters(customer, dpo):
    """The erased member's handle in a reply notice to someone else is replaced in the stored parameters."""
    replier = make_member(role=Role.CUSTOMER, first_name="Zebulon", last_name="Quaxwörth")
    notice = notification_send(
        recipient=customer,
        kind="community.reply",
        message="community.reply",
        params={"handle": replier.handle, "title": "Ask Zebulon Quaxwörth"},
    )
    kept = notification_send(
        recipient=customer, kind="community.reply", message="community.reply", params={"handle": "x", "title": "Keys"}
    )
    handle = replier.handle
    member_erase(member=replier, actor=dpo)
    notice.refresh_from_db()
    kept.refresh_from_db()
    assert handle not in str(notice.params)
    assert "Quaxwörth" not in str(notice.params)
    assert set(notice.params) == {"handle", "title"}
    assert kept.params == {"handle": "x", "title": "Keys"}


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_stored_sentences_into_messages_and_keeps_unknown_text():
    """Rows written as English sentences become message + parameters; any other text stays as the fallback."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    member = make_member(role=Role.CUSTOMER)
    executor = MigrationExecutor(connection)
    executor.migrate([("portal", "0008_user_display_name")])
    old = executor.loader.project_state([("portal", "0008_user_display_name")]).apps.get_model("portal", "Notification")
    old.objects.create(recipient_id=member.pk, kind="community.reply", title="@calm-heron-3310 replied to “Keys”")
    old.objects.create(recipient_id=member.pk, kind="account", title="Willkommen zurück")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Every app's leaves: going back also unapplied the apps whose migrations depend on portal's.
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = sorted(Notification.objects.values_list("message", "params"), key=lambda row: row[0])
    assert rows == [
        ("community.reply", {"handle": "calm-heron-3310", "title": "Keys"}),
        (FALLBACK_MESSAGE, {"title": "Willkommen zurück"}),
    ]
    with translation.override("de"):
        assert [n.title for n in Notification.objects.order_by("message")] == [
            "@calm-heron-3310 hat auf „Keys“ geantwortet",
            "Willkommen zurück",
        ]

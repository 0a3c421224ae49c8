"""Outbound webhooks: signed per Standard Webhooks, retried, delivered exactly once, paused, private data kept in.

The signature is checked here with a hand-written HMAC-SHA256 per the spec, not with the library that
signs: signed content ``{webhook-id}.{webhook-timestamp}.{body}``, key the base64-decoded secret after
``whsec_``, header ``v1,<base64 digest>``. Every receiver is a real HTTP server on loopback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.webhooks import payloads, services
from api.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from community import services as community
from community.models import Forum
from portal.models import Notification
from tests.crm.conftest import Receiver


def verify_independently(secret: str, headers: dict, body: bytes) -> bool:
    """Standard Webhooks verification written out by hand (no standardwebhooks import)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ") if part.startswith("v1,")]
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) <= 300
    return fresh and any(hmac.compare_digest(expected, value) for value in offered)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_HTTP_TIMEOUT = 0.5
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    settings.PORTAL_BASE_URL = "https://community.example.com"


@pytest.fixture
def receivers():
    started = []

    def make(handler=lambda request: (200, {}, {"ok": True})) -> Receiver:
        receiver = Receiver(handler=handler).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def subscribe(administrator):
    def make(receiver, events=("thread.created",), name="Help desk") -> WebhookSubscription:
        return services.subscription_save(
            subscription=WebhookSubscription(name=name, url=receiver.url + "/hook", events=list(events)),
            actor=administrator,
        )

    return make


@pytest.fixture
def hook_forum(db):
    return Forum.objects.create(name="Acme Cloud", slug="acme-cloud-hooks")


@pytest.fixture
def ask(hook_forum, django_capture_on_commit_callbacks):
    """Publish a thread the way the forum does, running the after-commit effects (event, delivery, send)."""

    def do(author, *, title="How do I rotate my key?", body="Asking for our team.", forum=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return community.thread_create(forum=forum or hook_forum, author=author, title=title, body=body, **kwargs)

    return do


def _sweep_later(hours: float = 8) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=hours), tick=True):
        services.deliveries_sweep()


def test_a_signed_event_reaches_a_real_receiver_and_verifies_independently(receivers, subscribe, ask, customer):
    """thread.created arrives once, signed with the subscription's secret; an independent HMAC check accepts it."""
    receiver = receivers()
    subscription = subscribe(receiver)
    thread = ask(customer, body="Mail me at jane@example.org or ask @" + customer.handle)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.method == "POST"
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert verify_independently(subscription.signing_secret(), request.headers, request.body) is True
    tampered = request.body.replace(b"rotate", b"delete")
    assert verify_independently(subscription.signing_secret(), request.headers, tampered) is False
    delivery = WebhookDelivery.objects.get()
    assert request.headers["webhook-id"] == delivery.msg_id
    document = request.json()
    pseudonym = document["data"]["thread"]["author"]["pseudonym"]
    assert pseudonym.startswith(subscription.pseudonym_domain + "_")
    assert document == {
        "type": "thread.created",
        "version": 1,
        "timestamp": document["timestamp"],
        "data": {
            "thread": {
                "id": thread.pk,
                "title": "How do I rotate my key?",
                "url": "https://community.example.com" + thread.get_absolute_url(),
                "forum": {"id": thread.forum_id, "slug": "acme-cloud-hooks", "name": "Acme Cloud"},
                "state": "open",
                "tags": [],
                "created_at": document["data"]["thread"]["created_at"],
                "author": {"pseudonym": pseudonym},
            },
            "post": {
                "id": thread.posts.get().pk,
                "thread_id": thread.pk,
                "url": "https://community.example.com" + thread.posts.get().get_absolute_url(),
                "is_question": True,
                "body": f"Mail me at [removed] or ask {pseudonym}",
                "created_at": document["data"]["post"]["created_at"],
                "author": {"pseudonym": pseudonym},
            },
        },
    }
    assert customer.handle not in request.body.decode() and customer.email not in request.body.decode()
    assert delivery.state == DeliveryState.SENT
    assert list(delivery.attempt_log.values_list("number", "response_status")) == [(1, 200)]
    assert payloads.WEBHOOK_EVENTS["thread.created"].model_validate(document).data.thread.id == thread.pk


def test_the_secret_is_whsec_and_encrypted_at_rest(receivers, subscribe):
    """The subscription's secret is a Standard Webhooks ``whsec_`` secret; the column holds only ciphertext."""
    subscription = subscribe(receivers())
    secret = subscription.signing_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    stored = WebhookSubscription.objects.values_list("secret", flat=True).get(pk=subscription.pk)
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert stored.startswith("v")


def test_a_5xx_is_retried_with_backoff_under_the_same_webhook_id(receivers, subscribe, ask, customer):
    """A 503 schedules a later attempt (backoff, Retry-After honoured); the retry carries the same webhook-id."""
    answers = iter([(503, {"Retry-After": "120"}, {"error": "busy"})])
    receiver = receivers(lambda request: next(answers, None) or (200, {}, {"ok": True}))
    subscribe(receiver)
    before = timezone.now()
    ask(customer)

    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("HTTP 503")
    assert before + timedelta(seconds=120) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=121)
    services.deliveries_sweep()  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    _sweep_later()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.msg_id, delivery.msg_id]
    assert list(delivery.attempt_log.values_list("number", "response_status")) == [(1, 503), (2, 200)]
    assert WebhookSubscription.objects.get().consecutive_failures == 0


def test_a_receiver_that_is_down_is_retried_until_it_answers(receivers, subscribe, ask, customer, settings):
    """Connection refused counts as a failed attempt (no response code) and is retried."""
    receiver = receivers()
    subscription = subscribe(receiver)
    receiver.stop()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url="http://127.0.0.1:9/hook")
    ask(customer)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert list(delivery.attempt_log.values_list("response_status", flat=True)) == [None]
    live = receivers()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url=live.url + "/hook")
    _sweep_later()
    assert WebhookDelivery.objects.get().state == DeliveryState.SENT
    assert len(live.requests) == 1


def test_exactly_one_logical_delivery_per_event(
    receivers, subscribe, ask, customer, django_capture_on_commit_callbacks
):
    """The same event announced twice is one delivery; a second worker run on a sent row sends nothing."""
    receiver = receivers()
    subscribe(receiver)
    thread = ask(customer)
    post = thread.posts.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.post_published(post=post)) == 1  # the existing delivery, found again
    delivery = WebhookDelivery.objects.get()
    assert services.delivery_send(message_id=delivery.pk) == "skipped"
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_a_row_another_worker_holds_is_skipped(receivers, subscribe, customer, hook_forum):
    """While one worker's lease on a delivery runs, a second worker's send skips it and sends nothing."""
    from crm.services.leases import lease_rows

    receiver = receivers()
    subscribe(receiver)
    thread = community.thread_create(forum=hook_forum, author=customer, title="Held by a worker", body="x")
    services.post_published(post=thread.posts.get())
    delivery = WebhookDelivery.objects.get()
    assert lease_rows(WebhookDelivery.objects.filter(pk=delivery.pk), now=timezone.now()) == 1
    assert services.delivery_send(message_id=delivery.pk) == "skipped"
    assert receiver.requests == []
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert services.deliveries_sweep() == {"recovered": 1, "enqueued": 1}
    assert WebhookDelivery.objects.get().state == DeliveryState.SENT
    assert len(receiver.requests) == 1


def test_repeated_failures_pause_the_subscription_and_tell_the_administrators(
    receivers, subscribe, ask, customer, administrator
):
    """After WEBHOOK_PAUSE_AFTER_FAILURES failed attempts in a row the URL is paused and admins are notified."""
    receiver = receivers(lambda request: (500, {}, {"error": "boom"}))
    subscription = subscribe(receiver, name="Flaky desk")
    for n in range(3):
        ask(customer, title=f"Question number {n}")
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 3
    assert subscription.is_paused is True
    assert subscription.pause_reason == "failures"
    notice = Notification.objects.get(recipient=administrator)
    assert notice.kind == "webhooks"
    assert (notice.message, notice.params) == (
        "webhooks.paused",
        {"name": "Flaky desk", "count": 3, "url": subscription.url},
    )
    from django.utils import translation

    from portal.notifications import wording

    with translation.override("de"):
        assert wording(notice.message, notice.params)[0] == (
            "Der Webhook „Flaky desk“ wurde nach 3 fehlgeschlagenen Versuchen in Folge pausiert"
        )
    assert notice.url == f"/admin/webhooks/{subscription.pk}/"

    ask(customer, title="Asked while paused")
    _sweep_later()
    assert len(receiver.requests) == 3  # nothing more goes to a paused URL
    assert WebhookDelivery.objects.filter(state=DeliveryState.PENDING).count() == 1

    receiver.handler = lambda request: (200, {}, {"ok": True})
    assert services.subscription_resume(subscription=subscription) == 4
    _sweep_later()
    assert WebhookDelivery.objects.filter(state=DeliveryState.SENT).count() == 4
    assert WebhookSubscription.objects.get().consecutive_failures == 0


def test_410_gone_pauses_at_once(receivers, subscribe, ask, customer):
    """A receiver answering 410 Gone is not retried; its subscription pauses."""
    receiver = receivers(lambda request: (410, {}, {"error": "gone"}))
    subscription = subscribe(receiver)
    ask(customer)
    assert WebhookDelivery.objects.get().state == DeliveryState.DEAD
    subscription.refresh_from_db()
    assert subscription.pause_reason == "gone"


def test_a_private_thread_never_goes_out(receivers, subscribe, ask, customer, django_capture_on_commit_callbacks):
    """A private thread, or a thread in a private forum, makes no delivery; one hidden before sending is withheld."""
    receiver = receivers()
    subscribe(receiver, events=("thread.created", "post.created", "thread.tagged"))
    ask(customer, title="My private question", is_private=True)
    secret_forum = Forum.objects.create(name="Partners", slug="partners-hooks", is_private=True)
    from guardian.shortcuts import assign_perm

    assign_perm("community.view_forum", customer, secret_forum)
    ask(customer, title="Partner question", forum=secret_forum)
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []

    thread = community.thread_create(
        forum=Forum.objects.get(slug="acme-cloud-hooks"), author=customer, title="Soon hidden", body="x"
    )
    services.post_published(post=thread.posts.get())
    delivery = WebhookDelivery.objects.get()
    type(thread).objects.filter(pk=thread.pk).update(is_private=True)
    assert services.delivery_send(message_id=delivery.pk) == DeliveryState.WITHHELD
    delivery.refresh_from_db()
    assert delivery.last_error == "withheld: the thread is not public"
    assert delivery.payload is None
    assert receiver.requests == []


def test_a_restricted_member_is_not_delivered(receivers, subscribe, ask, customer, other_customer, dpo):
    """A restriction stops deliveries about the member: none is made, and one queued before is withheld."""
    from consent.dsar.restrictions import restriction_place

    receiver = receivers()
    subscribe(receiver)
    thread = community.thread_create(
        forum=Forum.objects.get_or_create(slug="acme-cloud-hooks", defaults={"name": "Acme"})[0],
        author=other_customer,
        title="Queued before",
        body="x",
    )
    services.post_published(post=thread.posts.get())
    queued = WebhookDelivery.objects.get()
    restriction_place(member=customer, kind="restriction", actor=dpo)
    restriction_place(member=other_customer, kind="objection", actor=dpo)
    ask(customer, title="Asked while restricted")
    assert WebhookDelivery.objects.filter(member=customer).count() == 0
    assert services.delivery_send(message_id=queued.pk) == DeliveryState.WITHHELD
    assert receiver.requests == []


def test_each_subscription_sees_its_own_pseudonyms(receivers, subscribe, ask, customer):
    """Two subscribers get different, unlinkable pseudonyms for the same author; neither gets a handle or e-mail."""
    first, second = receivers(), receivers()
    a = subscribe(first, name="Desk A")
    b = subscribe(second, name="Desk B")
    ask(customer)
    seen_a = first.requests[0].json()["data"]["thread"]["author"]["pseudonym"]
    seen_b = second.requests[0].json()["data"]["thread"]["author"]["pseudonym"]
    assert seen_a.startswith(a.pseudonym_domain + "_") and seen_b.startswith(b.pseudonym_domain + "_")
    assert seen_a != seen_b
    assert first.requests[0].headers["webhook-id"] != second.requests[0].headers["webhook-id"]


def test_consent_changes_go_out_pseudonymously(receivers, subscribe, customer, django_capture_on_commit_callbacks):
    """consent.changed carries the purpose, the state and the pseudonym: nothing that names the member."""
    from consent import services as consent_services

    receiver = receivers()
    subscription = subscribe(receiver, events=("consent.changed",))
    with django_capture_on_commit_callbacks(execute=True):
        consent_services.consent_grant(user=customer, purpose="crm_followup")
    document = receiver.requests[0].json()
    assert document["type"] == "consent.changed"
    assert document["data"] == {
        "member": {"pseudonym": document["data"]["member"]["pseudonym"]},
        "purpose": "crm_followup",
        "state": "granted",
    }
    assert document["data"]["member"]["pseudonym"].startswith(subscription.pseudonym_domain + "_")
    body = receiver.requests[0].body.decode()
    assert customer.email not in body and customer.handle not in body and customer.first_name not in body


def test_idea_events(receivers, subscribe, customer, product_manager, django_capture_on_commit_callbacks):
    """idea.created and idea.status_changed arrive with the idea, its status change and a pseudonymous author."""
    from ideas import services as idea_services
    from ideas.models import Board

    receiver = receivers()
    subscribe(receiver, events=("idea.created", "idea.status_changed"))
    board = Board.objects.create(name="Acme Reports", slug="acme-reports-hooks")
    with django_capture_on_commit_callbacks(execute=True):
        idea = idea_services.idea_create(board=board, author=customer, title="Export as PDF", body="Please.")
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_set_status(idea=idea, by=product_manager, status="planned", response="Next quarter.")
    created, changed = (request.json() for request in receiver.requests)
    assert created["type"] == "idea.created"
    assert created["data"]["idea"]["title"] == "Export as PDF"
    assert changed["type"] == "idea.status_changed"
    assert (changed["data"]["from_status"], changed["data"]["to_status"]) == ("new", "planned")
    assert changed["data"]["response"] == "Next quarter."
    assert changed["data"]["idea"]["author"] == created["data"]["idea"]["author"]


def test_thread_tagged_and_answered(
    receivers, subscribe, ask, customer, other_customer, moderator, django_capture_on_commit_callbacks
):
    """thread.tagged and thread.answered arrive for a public thread."""
    receiver = receivers()
    subscribe(receiver, events=("thread.tagged", "thread.answered", "post.created"))
    thread = ask(customer)
    with django_capture_on_commit_callbacks(execute=True):
        community.thread_tag_add(thread=thread, name="billing", actor=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        reply = community.post_create(thread=thread, author=other_customer, body="Use the key page.")
    with django_capture_on_commit_callbacks(execute=True):
        community.answer_accept(thread=thread, post=reply, actor=customer)
    kinds = [request.json()["type"] for request in receiver.requests]
    assert kinds == ["thread.tagged", "post.created", "thread.answered"]
    tagged, replied, answered = (request.json()["data"] for request in receiver.requests)
    assert (tagged["tag"], tagged["automatic"]) == ("billing", False)
    assert replied["post"]["body"] == "Use the key page."
    assert answered["answer"]["id"] == reply.pk


def test_send_test_event_button(client, receivers, subscribe, administrator, django_capture_on_commit_callbacks):
    """The back office's "Send test event" posts a signed webhook.test and logs its response code."""
    receiver = receivers()
    subscription = subscribe(receiver)
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/webhooks/{subscription.pk}/test/")
    assert response.status_code == 302
    request = receiver.requests[0]
    assert request.json()["type"] == "webhook.test"
    assert verify_independently(subscription.signing_secret(), request.headers, request.body) is True
    page = client.get(f"/admin/webhooks/{subscription.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "webhook.test" in html and "#1 200" in html


def test_only_administrators_reach_the_webhooks(
    client, receivers, subscribe, customer, moderator, dpo, editor, product_manager
):
    """Customers and every staff role but the administrator are refused every webhook page and action."""
    subscription = subscribe(receivers())
    for user in (customer, moderator, dpo, editor, product_manager):
        client.force_login(user)
        for url in ("/admin/webhooks/", f"/admin/webhooks/{subscription.pk}/", "/admin/webhooks/add/"):
            assert client.get(url).status_code in (302, 403), (user, url)
        assert client.post(f"/admin/webhooks/{subscription.pk}/secret/").status_code in (302, 403)
        assert client.post(f"/admin/webhooks/{subscription.pk}/test/").status_code in (302, 403)
        assert "/admin/webhooks/" not in client.get("/admin/").content.decode()
    assert WebhookDelivery.objects.count() == 0


def test_the_back_office_menu_leads_administrators_to_the_webhooks(client, administrator):
    """Administrators find "Webhooks" in the back office's settings menu, in English and German."""
    client.force_login(administrator)
    english = client.get("/admin/").content.decode()
    assert "/admin/webhooks/" in english and "Webhooks" in english
    administrator.preferred_language = "de"
    administrator.save(update_fields=["preferred_language"])
    from django.utils import translation

    with translation.override("de"):
        page = client.get("/admin/webhooks/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Webhook hinzufügen" in page.content.decode()


def test_an_administrator_creates_a_subscription_and_reveals_its_secret(client, administrator):
    """Add form -> the subscription with its own secret; the secret is shown only on the POSTed reveal."""
    client.force_login(administrator)
    response = client.post(
        "/admin/webhooks/add/",
        {
            "name": "Data warehouse",
            "url": "https://dw.example.com/in",
            "events": ["idea.created", "thread.created"],
            "is_active": "on",
        },
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/webhooks/{subscription.pk}/"
    assert subscription.events == ["thread.created", "idea.created"]
    assert subscription.created_by == administrator
    detail = client.get(response["Location"]).content.decode()
    assert subscription.signing_secret() not in detail
    revealed = client.post(f"/admin/webhooks/{subscription.pk}/secret/")
    assert subscription.signing_secret() in revealed.content.decode()
    assert "no-store" in revealed["Cache-Control"]
    index = client.get("/admin/webhooks/").content.decode()
    assert "Data warehouse" in index
    assert client.post(f"/admin/webhooks/{subscription.pk}/pause/").status_code == 302
    subscription.refresh_from_db()
    assert (subscription.is_paused, subscription.pause_reason) == (True, "manual")
    assert Notification.objects.count() == 0  # an administrator's own pause tells nobody
    assert client.post(f"/admin/webhooks/{subscription.pk}/resume/").status_code == 302
    assert WebhookSubscription.objects.get().is_paused is False
    assert client.post(f"/admin/webhooks/{subscription.pk}/delete/").status_code == 302
    assert WebhookSubscription.objects.count() == 0


def test_the_delivery_log_costs_the_same_queries_for_more_rows(
    client, receivers, subscribe, administrator, django_assert_num_queries
):
    """The log loads deliveries and their attempts in a fixed number of queries, however many rows."""
    subscription = subscribe(receivers())
    client.force_login(administrator)

    def add(n):
        for _ in range(n):
            delivery = services.test_event_send(subscription=subscription)
            WebhookAttempt.objects.create(delivery=delivery, number=1, response_status=200)

    add(1)
    client.get(f"/admin/webhooks/{subscription.pk}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(f"/admin/webhooks/{subscription.pk}/")
    add(9)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(f"/admin/webhooks/{subscription.pk}/")
    assert response.content.decode().count("<tr data-state=") == 10


def test_card_events_carry_no_free_text(
    receivers, subscribe, ask, customer, moderator, django_capture_on_commit_callbacks
):
    """card.created and card.processed tell the key, tag and state, the member as a pseudonym, never the text."""
    from crm import services as crm_services
    from crm.adapters.base import StatusEvent
    from crm.models import ActionType, ConnectionKind, CrmConnection, InterestCard, TagRule
    from crm.signing import new_secret

    crm_receiver = receivers()
    connection = crm_services.connection_save(
        connection=CrmConnection(name="CRM", kind=ConnectionKind.WEBHOOK, url=crm_receiver.url + "/crm"),
        secrets={"signing_secret": new_secret()},
    )
    TagRule.objects.create(tag="lead", action_type=ActionType.LEAD, connection=connection)
    receiver = receivers()
    subscription = subscribe(receiver, events=("card.created", "card.processed"))
    thread = ask(customer, title="We want 40 seats", body="Call me on +49 170 1234567")
    with django_capture_on_commit_callbacks(execute=True):
        community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    card = InterestCard.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        crm_services.card_status_apply(
            connection=connection, event=StatusEvent(key=str(card.key), status="done", done=True)
        )
    created, processed = (request.json() for request in receiver.requests)
    assert (created["type"], processed["type"]) == ("card.created", "card.processed")
    assert created["data"]["card"]["key"] == str(card.key)
    assert created["data"]["card"]["tag"] == "lead"
    assert processed["data"]["card"]["state"] == "processed"
    assert created["data"]["card"]["member"]["pseudonym"].startswith(subscription.pseudonym_domain + "_")
    body = receiver.requests[0].body.decode() + receiver.requests[1].body.decode()
    assert "40 seats" not in body and "1234567" not in body and customer.handle not in body


def test_kb_article_published(receivers, subscribe, home_page, django_capture_on_commit_callbacks):
    """Publishing a KB article sends kb.article.published with its title, summary and public URL."""
    from knowledgebase.models import KBArticlePage, KBIndexPage

    receiver = receivers()
    subscribe(receiver, events=("kb.article.published",))
    index = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb", intro="Answers."))
    index.save_revision().publish()
    article = index.add_child(
        instance=KBArticlePage(
            title="Rotate an API key",
            slug="rotate-key",
            summary="Three steps.",
            body=[("text", "<p>x</p>")],
            live=False,
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()
    document = receiver.requests[0].json()
    assert document["type"] == "kb.article.published"
    assert document["data"]["article"]["id"] == article.pk
    assert document["data"]["article"]["title"] == "Rotate an API key"
    assert document["data"]["article"]["summary"] == "Three steps."
    assert document["data"]["article"]["url"].endswith("/kb/rotate-key/")


def test_every_event_is_documented_with_a_versioned_schema():
    """Each subscribable event (and the test event) has a schema whose type and version are fixed."""
    assert sorted(payloads.WEBHOOK_EVENTS) == sorted([*payloads.SUBSCRIBABLE, "webhook.test"])
    assert len(payloads.SUBSCRIBABLE) == 10
    for name, schema in payloads.WEBHOOK_EVENTS.items():
        document = schema.model_json_schema()
        assert document["properties"]["type"]["const"] == name
        assert document["properties"]["version"]["const"] == 1
        assert document["required"] == ["type", "version", "timestamp", "data"]


def test_a_payload_that_cannot_be_built_fails_the_attempt_instead_of_holding_the_row(
    receivers, subscribe, customer, hook_forum, monkeypatch
):
    """A bug while building the payload is a failed attempt with a retry, not a row leased until the sweep."""
    receiver = receivers()
    subscribe(receiver)
    thread = community.thread_create(forum=hook_forum, author=customer, title="Broken builder", body="x")
    services.post_published(post=thread.posts.get())

    def broken(delivery):
        raise RuntimeError("bug")

    monkeypatch.setattr(payloads, "build", broken)
    delivery = WebhookDelivery.objects.get()
    assert services.delivery_send(message_id=delivery.pk) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 1, "payload: RuntimeError")
    assert list(delivery.attempt_log.values_list("response_status", "error")) == [(None, "payload: RuntimeError")]
    assert receiver.requests == []

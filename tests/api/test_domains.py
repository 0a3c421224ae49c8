"""Ideas, knowledge base, cards and the caller's own privacy data through the API, per role, as the UI shows them."""

from __future__ import annotations

import re

import pytest
from wagtail.search import index as search_index

from community import services as community_services
from community.models import Forum
from consent.dsar.models import DataExport, ProcessingRestriction
from consent.models import ConsentEvent, MemberConsent
from consent.receipts import receipt_for
from crm import services as crm_services
from crm.models import ActionType, AssigneeStrategy, ConnectionKind, CrmConnection, Priority, TagRule
from ideas import services as idea_services
from ideas.models import Board
from knowledgebase.models import KBArticlePage
from tests.api.conftest import auth, integration_token, personal_token
from tests.factories import make_member


@pytest.fixture
def board(db):
    return Board.objects.create(name="Acme Cloud", slug="acme-cloud", description="The web app.")


@pytest.fixture
def idea(board, other_customer):
    return idea_services.idea_create(board=board, author=other_customer, title="Export reports as PDF", body="Please.")


def _put(client, url, data, secret):
    return client.put(url, data, content_type="application/json", **auth(secret))


def test_vote_through_the_api_matches_the_service(client, customer, idea):
    """A write token votes once; repeating changes nothing; a read token may not vote."""
    secret = personal_token(customer, "write")
    first = _put(client, f"/api/v1/ideas/{idea.pk}/vote", {"voted": True}, secret)
    assert first.json() == {"idea_id": idea.pk, "voted": True, "changed": True, "vote_count": 1}
    again = _put(client, f"/api/v1/ideas/{idea.pk}/vote", {"voted": True}, secret)
    assert again.json() == {"idea_id": idea.pk, "voted": True, "changed": False, "vote_count": 1}
    read = personal_token(customer, "read")
    assert _put(client, f"/api/v1/ideas/{idea.pk}/vote", {"voted": False}, read).status_code == 403
    idea.refresh_from_db()
    assert idea.vote_count == 1
    listed = client.get("/api/v1/ideas", {"board": "acme-cloud"}, **auth(secret)).json()["items"]
    assert [(i["id"], i["has_voted"], i["vote_count"]) for i in listed] == [(idea.pk, True, 1)]


def test_status_change_needs_the_scope_and_a_product_manager(client, administrator, product_manager, moderator, idea):
    """ideas:status as a product manager sets status and public response; as a moderator it is refused."""
    pm = integration_token(administrator, product_manager, ["ideas:read", "ideas:status"])
    changed = _put(client, f"/api/v1/ideas/{idea.pk}/status", {"status": "planned", "response": "Coming in May."}, pm)
    assert changed.status_code == 200, changed.content
    assert (changed.json()["status"], changed.json()["public_response_html"]) == ("planned", "<p>Coming in May.</p>")
    as_moderator = integration_token(administrator, moderator, ["ideas:status"])
    refused = _put(client, f"/api/v1/ideas/{idea.pk}/status", {"status": "declined"}, as_moderator)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only product managers can change the status of ideas."
    idea.refresh_from_db()
    assert idea.status == "planned"


@pytest.fixture
def kb_article(home_page):
    from knowledgebase.models import KBCategoryPage, KBIndexPage

    index = home_page.add_child(instance=KBIndexPage(title="Knowledge base", slug="kb", intro="Answers."))
    category = index.add_child(instance=KBCategoryPage(title="Getting started", slug="getting-started"))
    article = category.add_child(
        instance=KBArticlePage(
            title="Resetting your password",
            slug="reset-password",
            summary="How to reset a forgotten password.",
            body=[("text", "<p>Open the login page.</p>")],
        )
    )
    article.save_revision().publish()
    article.refresh_from_db()
    search_index.insert_or_update_object(article)
    draft = category.add_child(
        instance=KBArticlePage(
            title="Unreleased password feature", slug="draft", body=[("text", "<p>x</p>")], live=False
        )
    )
    return article, draft


def test_kb_lists_reads_and_searches_live_articles_only(client, customer, kb_article):
    article, draft = kb_article
    secret = personal_token(customer)
    listed = client.get("/api/v1/kb/articles", **auth(secret)).json()["items"]
    assert [a["id"] for a in listed] == [article.pk]
    detail = client.get(f"/api/v1/kb/articles/{article.pk}", **auth(secret)).json()
    assert "Open the login page." in detail["body_html"]
    assert client.get(f"/api/v1/kb/articles/{draft.pk}", **auth(secret)).status_code == 404
    hits = client.get("/api/v1/kb/search", {"q": "password"}, **auth(secret)).json()
    assert [h["id"] for h in hits] == [article.pk]


@pytest.fixture
def card(db, customer):
    connection = CrmConnection.objects.create(name="CRM", kind=ConnectionKind.WEBHOOK, url="https://crm.example.com/h")
    rule = TagRule.objects.create(
        tag="lead",
        action_type=ActionType.LEAD,
        priority=Priority.HIGH,
        due_in_days=2,
        assignee_strategy=AssigneeStrategy.CLAIM,
        connection=connection,
    )
    return crm_services.card_create(
        rule=rule,
        source_type="forum_thread",
        source_id=1,
        source_url="https://example.com/t/1/",
        reply_url="https://example.com/t/1/#reply",
        title="Buying 40 seats",
        text="We want to buy 40 seats.",
        product="Acme",
        member=customer,
        automatic=False,
    )


def test_integration_reads_claims_and_processes_cards(client, administrator, moderator, customer, card):
    """cards:read lists the card with the member as a pseudonym; cards:write claims it and marks it processed."""
    secret = integration_token(administrator, moderator, ["cards:read", "cards:write"])
    listed = client.get("/api/v1/cards", **auth(secret)).json()["items"]
    assert [c["id"] for c in listed] == [card.pk]
    assert listed[0]["text"] == "We want to buy 40 seats."
    assert listed[0]["member"]["is_you"] is False
    assert re.fullmatch(r"api[a-z0-9]+_1_[a-z2-7]{20}", listed[0]["member"]["pseudonym"])
    assert customer.email not in str(listed) and customer.handle not in str(listed)
    claimed = client.post(f"/api/v1/cards/{card.pk}/claim", **auth(secret)).json()
    assert claimed["claimed"] is True and claimed["card"]["assignee"]["is_you"] is True
    assert client.post(f"/api/v1/cards/{card.pk}/claim", **auth(secret)).json()["claimed"] is False
    replied = client.post(
        f"/api/v1/cards/{card.pk}/status",
        {"status": "replied by mail"},
        content_type="application/json",
        **auth(secret),
    ).json()
    assert (replied["remote_status"], replied["processed_at"]) == ("replied by mail", None)
    done = client.post(f"/api/v1/cards/{card.pk}/processed", **auth(secret)).json()
    assert done["state"] == "processed" and done["processed_at"] is not None
    card.refresh_from_db()
    assert (card.assignee, card.state) == (moderator, "processed")


def test_integration_records_the_reply_once_and_the_card_is_processed(
    client, administrator, moderator, customer, card, django_capture_on_commit_callbacks
):
    """POST /cards/{id}/reply stores what was answered, who and when; the card is processed; a second reply is 422."""
    secret = integration_token(administrator, moderator, ["cards:read", "cards:write"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/cards/{card.pk}/reply",
            {"text": "Sent the offer for 40 seats by mail."},
            content_type="application/json",
            **auth(secret),
        )
    assert response.status_code == 200
    body = response.json()
    assert (body["reply"], body["state"]) == ("Sent the offer for 40 seats by mail.", "processed")
    assert body["replied_at"] is not None and body["processed_at"] is not None
    card.refresh_from_db()
    assert (card.reply_text, card.replied_by, card.state) == (
        "Sent the offer for 40 seats by mail.",
        moderator,
        "processed",
    )
    again = client.post(
        f"/api/v1/cards/{card.pk}/reply", {"text": "Again."}, content_type="application/json", **auth(secret)
    )
    assert again.status_code == 422
    assert again["content-type"].startswith("application/problem+json")
    card.refresh_from_db()
    assert card.reply_text == "Sent the offer for 40 seats by mail."
    read_only = integration_token(administrator, moderator, ["cards:read"])
    refused = client.post(
        f"/api/v1/cards/{card.pk}/reply", {"text": "No."}, content_type="application/json", **auth(read_only)
    )
    assert refused.status_code == 403


def test_card_scopes_and_staff_permission_both_needed(client, administrator, moderator, editor, card):
    """Without cards:write the claim is refused; an editor's integration cannot read cards at all."""
    read_only = integration_token(administrator, moderator, ["cards:read"])
    assert client.post(f"/api/v1/cards/{card.pk}/claim", **auth(read_only)).status_code == 403
    as_editor = integration_token(administrator, editor, ["cards:read"])
    assert client.get("/api/v1/cards", **auth(as_editor)).status_code == 403
    card.refresh_from_db()
    assert card.assignee is None


def test_card_of_a_restricted_member_withholds_the_member(client, administrator, moderator, customer, card):
    """Under a restriction of processing the card's member and words stay out of the integration."""
    ProcessingRestriction.objects.create(member=customer, kind="restriction")
    secret = integration_token(administrator, moderator, ["cards:read"])
    shown = client.get(f"/api/v1/cards/{card.pk}", **auth(secret)).json()
    assert (shown["member"], shown["text"], shown["title"]) == (None, "", "(withheld at the member's request)")


def test_consent_grant_and_withdraw_write_the_ledger_with_receipts(client, customer):
    """The API's grant and withdrawal are ledger events with the privacy centre's signed receipts."""
    secret = personal_token(customer, "write")
    consents = client.get("/api/v1/me/consents", **auth(secret)).json()
    purpose = next(c for c in consents if c["purpose"] == "analytics")
    assert purpose["granted"] is False
    granted = _put(client, "/api/v1/me/consents/analytics", {"granted": True}, secret).json()
    event = ConsentEvent.objects.get(record_id=granted["receipt"]["record_id"])
    assert (granted["changed"], granted["consent"]["granted"], event.kind) == (True, True, "grant")
    assert granted["receipt"]["jws"] == receipt_for(event)
    assert MemberConsent.objects.get(user=customer, purpose__code="analytics").state == "granted"
    withdrawn = _put(client, "/api/v1/me/consents/analytics", {"granted": False}, secret).json()
    assert (withdrawn["changed"], withdrawn["consent"]["state"]) == (True, "withdrawn")
    assert _put(client, "/api/v1/me/consents/analytics", {"granted": False}, secret).json()["changed"] is False
    read = personal_token(customer, "read")
    assert _put(client, "/api/v1/me/consents/analytics", {"granted": True}, read).status_code == 403


def test_export_request_is_the_callers_own(client, customer, other_customer):
    secret = personal_token(customer, "write")
    created = client.post("/api/v1/me/exports", **auth(secret))
    assert created.status_code == 202
    export = DataExport.objects.get()
    assert (export.user, created.json()["id"], created.json()["status"]) == (customer, str(export.pk), "pending")
    assert client.get("/api/v1/me/exports", **auth(personal_token(other_customer))).json() == []


@pytest.mark.parametrize("role", ["customer", "moderator", "anonymous_like"])
def test_api_lists_exactly_what_the_ui_lists(client, role, customer, moderator):
    """Per role, the thread ids of a forum's list page equal the API's list for the same account."""
    forum = Forum.objects.create(name="General", slug="general")
    author = make_member()
    visible = community_services.thread_create(forum=forum, author=author, title="A visible question", body="x")
    hidden = community_services.thread_create(forum=forum, author=author, title="A hidden question", body="x")
    community_services.thread_set_hidden(thread=hidden, moderator=moderator, hidden=True, reason="Spam")
    private = community_services.thread_create(
        forum=forum, author=author, title="A private question", body="x", is_private=True
    )
    own_private = community_services.thread_create(
        forum=forum, author=customer, title="My own private question", body="x", is_private=True
    )
    user = {"customer": customer, "moderator": moderator, "anonymous_like": make_member()}[role]
    client.force_login(user)
    page = client.get("/forums/general/").content.decode()
    client.logout()
    ui_ids = {int(n) for n in re.findall(r'href="/forums/t/(\d+)/', page)}
    api = client.get("/api/v1/forums/general/threads", **auth(personal_token(user))).json()["items"]
    assert {t["id"] for t in api} == ui_ids
    expected = {
        "customer": {visible.pk, own_private.pk},
        "moderator": {visible.pk, hidden.pk, private.pk, own_private.pk},
        "anonymous_like": {visible.pk},
    }[role]
    assert ui_ids == expected

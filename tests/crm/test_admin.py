"""The back office: card list (filters, claim), card detail, outbox (retry), connections with write-only secrets."""

from __future__ import annotations

import pytest
from django.test import Client

from crm import services
from crm.models import CardState, CrmConnection, InterestCard, OutboxMessage, OutboxState, SourceType, TagRule
from crm.signing import new_secret
from portal.roles import Role
from tests.factories import make_member


def _cards(rule, member, n: int, start: int = 0) -> list[InterestCard]:
    return [
        services.card_create(
            rule=rule,
            source_type=SourceType.THREAD,
            source_id=10_000 + start + i,
            source_url=f"https://community.example.com/forums/t/{i}/",
            reply_url=f"https://community.example.com/forums/t/{i}/#reply",
            title=f"Card {start + i}",
            text="text",
            product="Acme",
            member=member,
            automatic=False,
        )
        for i in range(n)
    ]


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_card_list_query_budget_does_not_grow(lead_rule, customer, moderator, django_assert_num_queries):
    """The card list costs the same number of queries for 5 and for 50 cards."""
    client = _login(moderator)
    client.get("/admin/crm/cards/")  # warm caches (site, permissions)
    _cards(lead_rule, customer, 5)
    with django_assert_num_queries(14) as five:
        response = client.get("/admin/crm/cards/")
    assert response.status_code == 200
    assert response.content.count(b"data-card-key=") == 5
    _cards(lead_rule, customer, 45, start=5)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get("/admin/crm/cards/")
    assert response.content.count(b"data-card-key=") == 50


def test_card_list_filters(lead_rule, customer, moderator):
    """State, assignee and processed filters narrow the list."""
    first, second, third = _cards(lead_rule, customer, 3)
    InterestCard.objects.filter(pk=first.pk).update(state=CardState.SENT, assignee=moderator)
    InterestCard.objects.filter(pk=second.pk).update(state=CardState.PROCESSED, processed_at="2026-01-01T00:00Z")
    client = _login(moderator)

    def titles(query):
        body = client.get("/admin/crm/cards/" + query).content.decode()
        return sorted(t for t in ("Card 0", "Card 1", "Card 2") if f">{t}</a>" in body)

    assert titles("") == ["Card 0", "Card 1", "Card 2"]
    assert titles("?state=sent") == ["Card 0"]
    assert titles(f"?assignee={moderator.pk}") == ["Card 0"]
    assert titles("?assignee=none") == ["Card 1", "Card 2"]
    assert titles("?processed=yes") == ["Card 1"]
    assert titles("?processed=no&tag=lead") == ["Card 0", "Card 2"]


def test_claim_button_first_staff_member_wins(lead_rule, customer, moderator):
    """The claim button gives the card to the first moderator; a second one is told and changes nothing."""
    card = _cards(lead_rule, customer, 1)[0]
    other = make_member(role=Role.MODERATOR)

    response = _login(moderator).post(f"/admin/crm/cards/{card.pk}/claim/", {"next": "/admin/crm/cards/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/crm/cards/"
    response = _login(other).post(f"/admin/crm/cards/{card.pk}/claim/", follow=True)
    assert "Someone else claimed this card first." in response.content.decode()
    card.refresh_from_db()
    assert card.assignee == moderator


def test_card_detail_shows_payload_remote_and_reply_links(thread, moderator, tag, lead_rule, crm_store):
    """Staff see the payload actually sent, the link to the remote task and the reply link."""
    tag(thread, moderator)
    card = InterestCard.objects.get()
    body = _login(moderator).get(f"/admin/crm/cards/{card.pk}/").content.decode()
    assert f'href="{card.remote_url}"' in body
    assert f'href="{card.reply_url}"' in body
    assert "Payload sent" in body
    assert str(card.key) in body


def test_a_reply_recorded_on_the_card_processes_it_and_shows_who_and_when(
    lead_rule, customer, moderator, django_capture_on_commit_callbacks
):
    """ "Record the reply" stores the text with who and when, processes the card, and then the form is gone."""
    card = _cards(lead_rule, customer, 1)[0]
    client = _login(moderator)
    assert "Record the reply" in client.get(f"/admin/crm/cards/{card.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/crm/cards/{card.pk}/reply/", {"text": "Called back, offer follows."}, follow=True
        )
    body = response.content.decode()
    assert "The reply is recorded and the card is processed." in body
    assert "Called back, offer follows." in body
    assert f"Recorded by {moderator.public_name}" in body
    assert "Record the reply" not in body
    card.refresh_from_db()
    assert (card.reply_text, card.replied_by, card.state) == ("Called back, offer follows.", moderator, "processed")
    again = client.post(f"/admin/crm/cards/{card.pk}/reply/", {"text": "Twice"}, follow=True).content.decode()
    assert "A reply to this card is recorded already." in again
    card.refresh_from_db()
    assert card.reply_text == "Called back, offer follows."


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.EDITOR, Role.PRODUCT_MANAGER, Role.DPO])
def test_only_moderators_and_admins_see_cards(lead_rule, customer, role):
    """Other roles cannot list cards, claim them or retry deliveries; nothing changes."""
    card = _cards(lead_rule, customer, 1)[0]
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.DEAD)
    client = _login(make_member(role=role))

    assert client.get("/admin/crm/cards/").status_code in (302, 403)
    assert client.get("/admin/crm/outbox/").status_code in (302, 403)
    client.post(f"/admin/crm/cards/{card.pk}/claim/")
    client.post(f"/admin/crm/outbox/{message.pk}/retry/")
    card.refresh_from_db()
    message.refresh_from_db()
    assert card.assignee is None
    assert message.state == OutboxState.DEAD


def test_admin_sees_the_crm_pages(lead_rule, customer, administrator):
    """The administrator reaches cards, outbox, rules, connections and the demo CRM."""
    client = _login(administrator)
    for url in ("/admin/crm/cards/", "/admin/crm/outbox/", "/admin/crm/demo-receiver/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/crm_tag_rules/").status_code == 200
    assert client.get("/admin/crm_connections/").status_code == 200


def test_moderator_cannot_manage_connections(moderator, webhook_connection):
    """Connections are an administrator's business."""
    client = _login(moderator)
    assert client.get("/admin/crm_connections/").status_code in (302, 403)
    assert client.get(f"/admin/crm_connections/edit/{webhook_connection.pk}/").status_code in (302, 403)


def test_outbox_retry_of_dead_row(lead_rule, customer, moderator, crm_store, django_capture_on_commit_callbacks):
    """A dead row offers Retry; pressing it sends the card."""
    _cards(lead_rule, customer, 1)
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.DEAD, attempts=15, last_error="HTTP 422")
    client = _login(moderator)
    body = client.get("/admin/crm/outbox/?state=dead").content.decode()
    assert f"/admin/crm/outbox/{message.pk}/retry/" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/crm/outbox/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 1)
    assert len(crm_store.tasks) == 1


def test_retry_refuses_rows_that_are_not_dead(lead_rule, customer, moderator):
    """Only dead rows can be retried; a pending one stays as it is."""
    _cards(lead_rule, customer, 1)
    message = OutboxMessage.objects.get()
    response = _login(moderator).post(f"/admin/crm/outbox/{message.pk}/retry/", follow=True)
    assert "Only failed deliveries that gave up can be retried." in response.content.decode()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 0)


def test_connection_secret_is_write_only(administrator, webhook_connection, signing_secret):
    """The edit form never shows the stored secret; saving with the field blank keeps it; a new one replaces it."""
    client = _login(administrator)
    url = f"/admin/crm_connections/edit/{webhook_connection.pk}/"
    page = client.get(url).content.decode()
    assert signing_secret not in page
    assert "A secret is stored." in page

    data = {
        "name": "Renamed",
        "kind": "webhook",
        "url": webhook_connection.url,
        "client_id": "",
        "options": "{}",
        "is_active": "on",
        "signing_secret": "",
        "api_token": "",
        "client_secret": "",
    }
    assert client.post(url, data).status_code == 302
    connection = CrmConnection.objects.get(pk=webhook_connection.pk)
    assert connection.name == "Renamed"
    assert connection.secrets() == {"signing_secret": signing_secret}

    fresh = new_secret()
    assert client.post(url, {**data, "signing_secret": fresh}).status_code == 302
    assert CrmConnection.objects.get(pk=webhook_connection.pk).secrets() == {"signing_secret": fresh}
    assert fresh not in client.get(url).content.decode()


def test_new_webhook_connection_needs_a_secret(administrator):
    """A webhook connection without a signing secret is refused and nothing is stored."""
    client = _login(administrator)
    data = {"name": "X", "kind": "webhook", "url": "https://crm.example.com/h", "client_id": "", "options": "{}"}
    response = client.post("/admin/crm_connections/new/", data)
    assert response.status_code == 200
    assert "This connection type needs it." in response.content.decode()
    assert CrmConnection.objects.count() == 0


def test_tag_rule_form_normalises_and_checks_the_strategy(administrator, webhook_connection):
    """Tags are stored as the forum stores them; a fixed strategy without owner is refused."""
    client = _login(administrator)
    base = {
        "tag": "  #Lead ",
        "action_type": "lead",
        "priority": "high",
        "due_in_days": "2",
        "connection": str(webhook_connection.pk),
        "keywords": "  Pricing \n\n Enterprise   Plan ",
        "is_active": "on",
    }
    refused = client.post("/admin/crm_tag_rules/new/", {**base, "assignee_strategy": "fixed"})
    assert refused.status_code == 200
    assert TagRule.objects.count() == 0

    assert client.post("/admin/crm_tag_rules/new/", {**base, "assignee_strategy": "claim"}).status_code == 302
    rule = TagRule.objects.get()
    assert (rule.tag, rule.keywords) == ("lead", "pricing\nenterprise plan")


def test_card_list_in_german(lead_rule, customer, moderator):
    """The back office speaks German to a German moderator."""
    _cards(lead_rule, customer, 1)
    moderator.preferred_language = "de"
    moderator.save(update_fields=["preferred_language"])
    client = _login(moderator)
    client.cookies["django_language"] = "de"
    body = client.get("/admin/crm/cards/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Interessenkarten" in body
    assert "Übernehmen" in body

"""The built-in demo CRM: the whole loop over real HTTP, from a moderator's tag to the card marked processed."""

from __future__ import annotations

import io

import pytest

from community import services as community
from crm import demo, services
from crm.models import CardState, CrmConnection, DemoReceipt, InterestCard, TagRule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_portal(live_server, settings, home_page):
    """seed_demo's accounts, forum threads and CRM rules, with the demo connection pointing at this server."""
    from community import demo as community_demo
    from portal import demo as portal_demo

    settings.PORTAL_BASE_URL = live_server.url
    out = io.StringIO()
    portal_demo.seed(stdout=out)
    community_demo.seed(stdout=out)
    demo.seed(stdout=out)
    return live_server


def test_seed_is_idempotent_and_configures_the_demo(demo_portal):
    """Seeding twice keeps one connection and one rule per tag; the connection points at the demo receiver."""
    demo.seed(stdout=io.StringIO())
    connection = CrmConnection.objects.get()
    assert connection.url == demo_portal.url + "/crm/demo-receiver/"
    assert connection.secrets()["signing_secret"].startswith("whsec_")
    assert sorted(TagRule.objects.values_list("tag", flat=True)) == ["bug", "complaint", "feedback", "lead", "question"]
    assert InterestCard.objects.filter(tag="lead").count() == 1


def test_demo_loop_tag_receive_complete(demo_portal):
    """The seeded lead reaches the demo receiver signed; marking it done there marks the card processed."""
    card = InterestCard.objects.get(tag="lead")
    assert card.state == CardState.SENT
    receipt = DemoReceipt.objects.get()
    assert receipt.webhook_id == str(card.key)
    assert receipt.signature_valid is True
    assert receipt.card == card
    assert receipt.payload["title"] == "How do I reset my API key?"
    assert card.remote_url == f"{demo_portal.url}/admin/crm/demo-receiver/#receipt-{receipt.pk}"

    services.demo_task_complete(receipt_id=receipt.pk)
    card.refresh_from_db()
    assert (card.state, card.remote_status) == (CardState.PROCESSED, "done")


def test_demo_receiver_refuses_unsigned_cards(demo_portal, client):
    """The demo receiver checks signatures like a real one: unsigned posts are refused and not stored."""
    response = client.post("/crm/demo-receiver/", data=b'{"key":"x"}', content_type="application/json")
    assert response.status_code == 401
    assert DemoReceipt.objects.count() == 1  # only the seeded lead


def test_keyword_rule_in_demo_tags_a_new_thread(demo_portal):
    """A customer asking about pricing gets the lead tag automatically and a card in the demo CRM."""
    from community.models import Forum
    from portal.models import User

    customer = User.objects.with_email("customer2@example.com").get()
    thread = community.thread_create(
        forum=Forum.objects.get(slug="acme-cloud"),
        author=customer,
        title="Pricing for a team of 40",
        body="Quote please",
    )
    card = InterestCard.objects.get(source_id=thread.pk)
    assert card.is_automatic is True
    assert DemoReceipt.objects.filter(webhook_id=str(card.key)).exists()


def test_seeding_on_another_port_moves_the_demo_connection_there(demo_portal, settings):
    """`make run PORT=8123` after a run on 8000: the demo CRM connection follows, so delivery and status reports work."""
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8123"
    demo.seed(stdout=io.StringIO())
    assert CrmConnection.objects.get().url == "http://127.0.0.1:8123/crm/demo-receiver/"

"""Every registered processor stops for a restricted, objecting or erasing member, and acts for anybody else.

Each processor has a driver that triggers its path the way members and staff do (tag a thread,
reply, send the newsletter, ...). The driver builds what the path needs, then the member's state is
put in place, then the one action runs; what reached or was derived about the member is compared
before and after that action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from community import services as community
from consent import processors
from consent import services as consent
from consent.dsar.models import RequestChannel, RequestKind, RequestState
from consent.dsar.restrictions import restriction_place
from consent.selectors import DIRECT_MARKETING_PURPOSES
from crm import services as crm
from crm.models import InterestCard, OutboxMessage, OutboxState
from insight.models import ItemAnalysis
from portal.models import Notification, User
from portal.roles import Role
from tests.crm.conftest import (  # noqa: F401  (fixtures shared with the CRM tests)
    _fast_timeouts,
    _no_first_post_hold,
    board,
    crm_store,
    forum,
    lead_rule,
    make_chat,
    make_idea,
    make_thread,
    receiver_factory,
    signing_secret,
    tag,
    webhook_connection,
    webhook_receiver,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db

STATES = ("free", "restricted", "objecting", "erasing")
# What the member's own request or a duty owed to them needs goes on under a restriction: listed here
# on purpose, so a processor that claims the exemption has to be named in a test first.
SERVES_REQUEST = {"api.personal", "community.moderation_notices", "dsar.request_mail", "portal.account"}
# The account is locked while its erasure runs (a self-service deletion's grace period): its own API
# tokens stop too, although under a restriction they keep serving the member (api/auth.py).
LOCKED_WHILE_ERASING = {"api.personal"}
OPT_IN_LINK = re.compile(r"/privacy/confirm/(\S+)/")


@dataclass
class World:
    """The people and helpers a driver needs, and the state the member is to be put in."""

    state: str
    moderator: User
    dpo: User
    product_manager: User
    other: User
    capture: object
    client: object
    make_thread: object
    tag: object
    make_chat: object
    make_idea: object
    receiver: object = None

    def hold(self, member) -> None:
        """Put the member in the state under test (nothing for a free member)."""
        if self.state in ("restricted", "objecting"):
            kind = "restriction" if self.state == "restricted" else "objection"
            restriction_place(member=member, kind=kind, actor=self.dpo)
        elif self.state == "erasing":
            from consent.dsar.services import request_create

            request = request_create(member=member, kind=RequestKind.ERASURE, actor=member)
            type(request).objects.filter(pk=request.pk).update(state=RequestState.IN_PROGRESS)
        for key in list(member.__dict__):
            if key.startswith("_consent"):
                del member.__dict__[key]

    def run(self, action):
        with self.capture(execute=True):
            return action()


def _newsletter_live(world: World, member) -> None:
    mail.outbox.clear()
    world.run(lambda: consent.consent_grant(user=member, purpose="newsletter"))
    token = OPT_IN_LINK.search(mail.outbox[-1].body).group(1)
    consent.opt_in_confirm(token=token)
    mail.outbox.clear()


# --- One driver per processor: returns (member, action); an action returns True for an effect the traces miss.


def drive_crm_cards(world: World):
    member = make_member()
    thread = world.make_thread(member)
    world.hold(member)
    return member, lambda: world.tag(thread, world.moderator)


def drive_crm_delivery(world: World):
    member = make_member()
    thread = world.make_thread(member)
    world.tag(thread, world.moderator)  # the card is made and sent before the member's state changes
    card = InterestCard.objects.get(member=member)
    world.hold(member)
    return member, lambda: world.run(lambda: crm.card_claim(card=card, user=world.moderator) and None)


def drive_community_notifications(world: World):
    member = make_member()
    thread = world.make_thread(member)
    world.hold(member)
    return member, lambda: world.run(
        lambda: community.post_create(thread=thread, author=world.other, body="Have you tried turning it off?")
    )


def drive_community_moderation_notices(world: World):
    member = make_member()
    thread = world.make_thread(member)
    world.hold(member)
    return member, lambda: world.run(
        lambda: community.post_hide(post=thread.posts.get(), moderator=world.moderator, reason="Spam link")
    )


def drive_ideas_notifications(world: World):
    from ideas import services as ideas

    member = make_member()
    idea = world.make_idea(world.other)
    ideas.vote_set(idea_id=idea.pk, voter=member, voted=True)
    world.hold(member)
    return member, lambda: world.run(
        lambda: ideas.idea_set_status(idea=idea, by=world.product_manager, status="planned", response="Next quarter")
    )


def drive_chat_notifications(world: World):
    from community.chat import services as chat

    member = make_member(role=Role.MODERATOR)
    conversation = world.make_chat(world.other)
    world.hold(member)
    return member, lambda: world.run(lambda: chat.chat_transfer(chat=conversation, actor=world.moderator, to=member))


def drive_chat_transcript(world: World):
    from community.chat import services as chat

    member = make_member()
    consent.consent_grant(user=member, purpose="chat_transcript")
    conversation = world.make_chat(member)
    world.hold(member)

    def close():
        return world.run(lambda: chat.chat_close(chat=conversation, actor=world.moderator)).transcript_kept

    return member, close


def drive_consent_newsletter(world: World):
    from consent.newsletter import newsletter_send

    member = make_member()
    _newsletter_live(world, member)
    world.hold(member)
    return member, lambda: world.run(lambda: newsletter_send(subject="News", body="Our news"))


def drive_campaigns_test_mail(world: World):
    from consent.campaigns import services as campaigns
    from consent.campaigns.models import Campaign

    member = make_member(role=Role.EDITOR)
    campaign = campaigns.campaign_save(
        campaign=Campaign(
            title="Issue", subject_en="News", body_en="<p>News</p>", subject_de="Neu", body_de="<p>Neu</p>"
        ),
        actor=member,
    )
    world.hold(member)
    return member, lambda: world.run(lambda: campaigns.campaign_test_send(campaign=campaign, actor=member) and None)


def drive_consent_opt_in_mail(world: World):
    member = make_member()
    world.hold(member)

    def subscribe():
        try:
            world.run(lambda: consent.consent_grant(user=member, purpose="newsletter"))
        except ValidationError:
            return False  # refused before anything was mailed
        return None

    return member, subscribe


def drive_dsar_request_mail(world: World):
    from consent.dsar.services import request_create, verification_send

    member = make_member()
    world.hold(member)
    request = request_create(
        member=member, kind=RequestKind.ACCESS, actor=world.dpo, channel=RequestChannel.EMAIL, details="By letter"
    )
    return member, lambda: world.run(lambda: verification_send(request=request, actor=world.dpo))


def drive_dsar_inactivity_warning(world: World):
    from consent.dsar.retention import retention_run

    member = make_member()
    long_ago = timezone.now() - timedelta(days=3650)
    User.objects.filter(pk=member.pk).update(last_login=long_ago, date_joined=long_ago)
    world.hold(member)
    return member, lambda: world.run(lambda: retention_run(trigger="manual", actor=world.dpo))


def drive_insight_content_analysis(world: World):
    from community.models import Post
    from insight import services as insight

    member = make_member()
    thread = world.make_thread(member)
    insight.member_analyses_drop(member_id=member.pk)  # analysed after commit: start from nothing derived
    question = Post.objects.get(thread=thread, is_question=True)
    world.hold(member)
    return member, lambda: world.run(lambda: insight.items_analyse(kind="post", ids=[question.pk]) and None)


def drive_insight_staff_notices(world: World):
    from insight import digest
    from insight import services as insight

    member = make_member(role=Role.MODERATOR)
    insight.digest_subscribe(user=member, subscribed=True)
    world.hold(member)
    return member, lambda: world.run(lambda: digest.digests_send() and None)


def _api_get(world: World, secret: str, path: str):
    return world.client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")


def drive_api_personal(world: World):
    from api import services as api_services

    member = make_member()
    _token, secret = api_services.token_create(
        kind="personal", name="script", user=member, scopes=["read"], created_by=member
    )
    world.hold(member)
    return member, lambda: _api_get(world, secret, "/api/v1/me/consents").status_code == 200


def drive_api_integration(world: World):
    from api import services as api_services

    member = make_member()
    thread = world.make_thread(member)
    world.tag(thread, world.moderator)
    card = InterestCard.objects.get(member=member)
    admin = make_member(role=Role.ADMINISTRATOR)
    _token, secret = api_services.token_create(
        kind="integration", name="tool", user=world.moderator, scopes=["cards:read"], created_by=admin
    )
    world.hold(member)
    return member, lambda: _api_get(world, secret, f"/api/v1/cards/{card.pk}").json()["member"] is not None


def drive_portal_account(world: World):
    member = make_member()
    world.hold(member)
    return member, lambda: world.client.post(reverse("password_reset"), {"email": member.email}) and None


def drive_intake_replies(world: World):
    from email.message import EmailMessage

    from crm.models import ActionType, AssigneeStrategy, CrmConnection, TagRule
    from intake import services as intake
    from intake.models import Mailbox

    member = make_member()
    rule = TagRule.objects.create(
        tag="outside",
        action_type=ActionType.INQUIRY,
        assignee_strategy=AssigneeStrategy.CLAIM,
        connection=CrmConnection.objects.first(),  # the lead rule's connection
    )
    mailbox = intake.mailbox_save(
        mailbox=Mailbox(name="Info", host="imap.example.com", port=993, username="info", rule=rule), password="pw"
    )
    raw = EmailMessage()
    raw["From"], raw["To"], raw["Subject"] = member.email, "info@example.com", "Question about my order"
    raw["Message-ID"] = "<order-1@example.com>"
    raw.set_content("When will my order arrive?")
    record, _created = intake.mail_ingest(mailbox=mailbox, raw=raw.as_bytes())
    world.hold(member)
    mail.outbox.clear()

    def reply():
        try:
            world.run(lambda: intake.reply_send(record=record, user=world.moderator, text="Tomorrow."))
        except ValidationError:
            return None

    return member, reply


def drive_webhooks_delivery(world: World):
    from api.webhooks import services as webhooks
    from api.webhooks.models import WebhookSubscription

    webhooks.subscription_save(
        subscription=WebhookSubscription(name="Help desk", url=world.receiver.url + "/hook", events=["thread.tagged"])
    )
    member = make_member()
    thread = world.make_thread(member)
    world.hold(member)
    return member, lambda: world.tag(thread, world.moderator, name="question") and None


DRIVERS = {
    "api.integration": drive_api_integration,
    "api.personal": drive_api_personal,
    "campaigns.test_mail": drive_campaigns_test_mail,
    "chat.notifications": drive_chat_notifications,
    "chat.transcript": drive_chat_transcript,
    "community.moderation_notices": drive_community_moderation_notices,
    "community.notifications": drive_community_notifications,
    "consent.newsletter": drive_consent_newsletter,
    "consent.opt_in_mail": drive_consent_opt_in_mail,
    "crm.cards": drive_crm_cards,
    "crm.delivery": drive_crm_delivery,
    "dsar.inactivity_warning": drive_dsar_inactivity_warning,
    "dsar.request_mail": drive_dsar_request_mail,
    "ideas.notifications": drive_ideas_notifications,
    "insight.content_analysis": drive_insight_content_analysis,
    "insight.staff_notices": drive_insight_staff_notices,
    "intake.replies": drive_intake_replies,
    "portal.account": drive_portal_account,
    "webhooks.delivery": drive_webhooks_delivery,
}


def _traces(member, receiver) -> dict:
    """What reached the member or was derived about them: mail, notifications, cards, CRM traffic."""
    return {
        "mails": sum(member.email in message.to for message in mail.outbox),
        "notifications": Notification.objects.filter(recipient_id=member.pk).count(),
        "cards": InterestCard.objects.filter(member_id=member.pk).count(),
        "crm_requests": len(receiver.requests),
        "insight_labels": ItemAnalysis.objects.filter(member_id=member.pk).count(),
    }


def _expected(proc: processors.Processor, state: str) -> bool:
    if state == "free":
        return True
    if state == "erasing" and proc.code in LOCKED_WHILE_ERASING:
        return False
    if state in ("restricted", "erasing"):
        return proc.serves_request
    objected = (
        proc.purpose in DIRECT_MARKETING_PURPOSES or proc.legal_basis == processors.LegalBasis.LEGITIMATE_INTEREST
    )
    return not objected


@pytest.fixture
def world_for(
    request,
    moderator,
    dpo,
    product_manager,
    other_customer,
    client,
    lead_rule,  # noqa: F811
    make_thread,  # noqa: F811
    tag,  # noqa: F811
    make_chat,  # noqa: F811
    make_idea,  # noqa: F811
    django_capture_on_commit_callbacks,
    webhook_receiver,  # noqa: F811
):
    def make(state: str) -> World:
        return World(
            state=state,
            moderator=moderator,
            dpo=dpo,
            product_manager=product_manager,
            other=other_customer,
            capture=django_capture_on_commit_callbacks,
            client=client,
            make_thread=make_thread,
            tag=tag,
            make_chat=make_chat,
            make_idea=make_idea,
            receiver=webhook_receiver,
        )

    return make


def test_every_registered_processor_has_a_driver():
    """A new processor without a driver here fails CI, so none goes untested against restrictions."""
    assert sorted(DRIVERS) == [p.code for p in processors.registered_processors()]


def test_only_the_listed_processors_go_on_under_a_restriction():
    """Claiming the exemption for the member's own request is a decision this test has to name."""
    assert {p.code for p in processors.registered_processors() if p.serves_request} == SERVES_REQUEST


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("code", sorted(DRIVERS))
def test_processor_acts_only_where_the_member_allows_it(code, state, world_for, webhook_receiver):  # noqa: F811
    """Restricted, objecting or erasing: nothing leaves and nothing is derived; a free member gets the effect."""
    proc = processors.processor(code)
    member, action = DRIVERS[code](world_for(state))
    before = _traces(member, webhook_receiver)
    made = action()
    after = _traces(member, webhook_receiver)

    acted = made is True or after != before
    assert acted is _expected(proc, state), (before, after, made)
    if not _expected(proc, state):
        assert after == before
        assert made is not True


# --- The reproduction from issue 15 --------------------------------------------------------------------


def test_a_restricted_members_tagged_thread_makes_no_card_and_a_reply_sends_no_mail(
    world_for,
    webhook_receiver,  # noqa: F811
):
    """Issue 15: a restriction in place, a moderator's tag makes no card or outbox row, and a reply no mail."""
    world = world_for("restricted")
    member = make_member()
    thread = world.make_thread(member)
    world.hold(member)
    mail.outbox.clear()

    world.tag(thread, world.moderator)
    world.run(lambda: community.post_create(thread=thread, author=world.other, body="Here is how it works."))

    assert InterestCard.objects.filter(source_id=thread.pk).count() == 0
    assert OutboxMessage.objects.count() == 0
    assert webhook_receiver.requests == []
    assert [message.to for message in mail.outbox] == []
    assert Notification.objects.filter(recipient=member).count() == 0


def test_an_objecting_member_gets_no_newsletter_but_still_hears_of_replies(world_for):
    """An objection to direct marketing stops the newsletter; reply notifications (the service) go on."""
    from consent.newsletter import newsletter_send

    world = world_for("objecting")
    member = make_member()
    _newsletter_live(world, member)
    thread = world.make_thread(member)
    world.hold(member)
    mail.outbox.clear()

    world.run(lambda: newsletter_send(subject="News", body="Our news"))
    world.run(lambda: community.post_create(thread=thread, author=world.other, body="Here is how it works."))

    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([member.email], f"@{world.other.handle} replied to “{thread.title}”")
    ]


def test_a_card_queued_before_the_restriction_is_held_not_sent(
    world_for,
    webhook_receiver,  # noqa: F811
):
    """A card made before the restriction does not leave after it: its next row waits, spending no attempt."""
    world = world_for("restricted")
    member = make_member()
    thread = world.make_thread(member)
    world.tag(thread, world.moderator)
    card = InterestCard.objects.get(member=member)
    requests_before = len(webhook_receiver.requests)
    world.hold(member)

    world.run(lambda: crm.card_claim(card=card, user=world.moderator))

    row = OutboxMessage.objects.filter(card=card).order_by("-pk").first()
    assert (row.state, row.attempts) == (OutboxState.FAILED, 0)
    assert row.next_attempt_at > timezone.now() + timedelta(hours=23)
    assert row.last_error.startswith("held:")
    assert len(webhook_receiver.requests) == requests_before


def test_may_process_costs_one_query_per_member_whatever_the_number_of_processors(customer, django_assert_num_queries):
    """Loops that ask for many processors pay one query per member, plus one per consent purpose asked."""
    processors.may_process(make_member(), "consent.newsletter")  # the purpose codes are known from now on
    with django_assert_num_queries(3):
        answers = [processors.may_process(customer, p.code) for p in processors.registered_processors()]
    assert answers.count(False) == 2  # the consent-based ones, without consent: newsletter, chat transcript

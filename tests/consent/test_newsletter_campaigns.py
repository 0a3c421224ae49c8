"""Newsletter campaigns: composed in both languages, tested, sent to exactly the confirmed subscribers at a bounded rate."""

from __future__ import annotations

import datetime
import json
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent import services as consent
from consent.campaigns import services
from consent.campaigns.models import BODY_FEATURES, Campaign, CampaignStatus
from consent.campaigns.selectors import campaign_log
from consent.dsar.restrictions import restriction_place
from consent.selectors import has_consent
from portal.mail import deliver_mail
from portal.models import OutgoingMail
from portal.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r"/privacy/confirm/([^/\s]+)/")
BODY_EN = (
    '<h2>Offline mode</h2><p>Read <a href="https://example.com/offline">the announcement</a> '
    'or <a href="/kb/offline/">the guide</a>.</p><ul><li>Faster</li><li>Safer</li></ul>'
)
BODY_DE = '<h2>Offline-Modus</h2><p>Lesen Sie <a href="https://example.com/offline">die Ankündigung</a>.</p>'


def _subscriber(language="en", *, confirmed=True):
    """A member who asked for the newsletter; ``confirmed`` clicks the double opt-in link too."""
    member = make_member(role=Role.CUSTOMER, preferred_language=language)
    consent.consent_grant(user=member, purpose="newsletter")
    if confirmed:
        body = OutgoingMail.objects.get(user=member, processor="consent.opt_in_mail").body
        consent.opt_in_confirm(token=TOKEN.search(body).group(1))
    OutgoingMail.objects.filter(user=member).delete()
    return member


def _campaign(editor, **fields):
    values = {
        "title": "September issue",
        "subject_en": "Offline mode is here",
        "body_en": BODY_EN,
        "subject_de": "Der Offline-Modus ist da",
        "body_de": BODY_DE,
        **fields,
    }
    return services.campaign_save(campaign=Campaign(**values), actor=editor)


def _send_now(campaign, editor, capture):
    with capture(execute=True):
        services.campaign_schedule(campaign=campaign, actor=editor)
    campaign.refresh_from_db()
    return campaign


def _tick(capture):
    with capture(execute=True):
        return services.campaigns_send_due()


def _unsubscribe_path(message) -> str:
    return urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>")).path


def test_only_confirmed_subscribers_get_it_each_in_their_language(editor, dpo, django_capture_on_commit_callbacks):
    """Confirmed English and German subscribers get their version; pending, withdrawn, restricted and others nothing."""
    english, german = _subscriber("en"), _subscriber("de")
    _subscriber("en", confirmed=False)
    withdrawn = _subscriber("en")
    consent.consent_withdraw(user=withdrawn, purpose="newsletter")
    restricted = _subscriber("de")
    restriction_place(member=restricted, kind="restriction", actor=dpo)
    make_member(role=Role.CUSTOMER)
    campaign = _send_now(_campaign(editor), editor, django_capture_on_commit_callbacks)
    received = {message.to[0]: message for message in mail.outbox}
    assert set(received) == {english.email, german.email}
    assert received[english.email].subject == "Offline mode is here"
    assert received[german.email].subject == "Der Offline-Modus ist da"
    assert "Lesen Sie die Ankündigung (https://example.com/offline)" in received[german.email].body
    assert "Unsubscribe with one click" not in received[german.email].alternatives[0].content
    assert "Mit einem Klick abmelden" in received[german.email].alternatives[0].content
    assert (campaign.status, campaign.queued_count, campaign.sent_count, campaign.failed_count) == ("sent", 2, 2, 0)
    assert OutgoingMail.objects.count() == 0


def test_a_withdrawal_between_scheduling_and_sending_is_respected(editor, django_capture_on_commit_callbacks):
    """Consent is read when the campaign goes out, not when it was scheduled."""
    stays, leaves = _subscriber("en"), _subscriber("en")
    start = timezone.now()
    campaign = _campaign(editor)
    services.campaign_schedule(campaign=campaign, actor=editor, send_at=start + datetime.timedelta(hours=1))
    assert _tick(django_capture_on_commit_callbacks) == 0  # not due yet
    consent.consent_withdraw(user=leaves, purpose="newsletter")
    with time_machine.travel(start + datetime.timedelta(hours=1, minutes=1), tick=False):
        assert _tick(django_capture_on_commit_callbacks) == 1
    assert [message.to for message in mail.outbox] == [[stays.email]]
    campaign.refresh_from_db()
    assert campaign_log(campaign)["withdrawn"] == 0  # the withdrawal came before sending began


def test_a_withdrawal_while_the_mail_waits_stops_it_and_is_counted(editor, django_capture_on_commit_callbacks):
    """A mail already queued is checked again when it leaves: it is stopped and counted, not sent."""
    first, second = _subscriber("en"), _subscriber("de")
    campaign = _campaign(editor)
    services.campaign_schedule(campaign=campaign, actor=editor)  # "send now"; the tick below is the worker's
    assert services.campaigns_send_due() == 2  # queued; the mails wait for the worker
    consent.consent_withdraw(user=second, purpose="newsletter")
    with django_capture_on_commit_callbacks(execute=True):
        for row in OutgoingMail.objects.order_by("pk"):
            deliver_mail.call(mail_id=row.pk)
    assert [message.to for message in mail.outbox] == [[first.email]]
    campaign.refresh_from_db()
    assert campaign_log(campaign) == {"queued": 2, "sent": 1, "failed": 0, "refused": 1, "skipped": 0, "withdrawn": 1}


def test_every_mail_carries_the_one_click_unsubscribe(editor, django_capture_on_commit_callbacks):
    """RFC 8058 headers, the same link in text and HTML; one POST without login unsubscribes and is counted."""
    member = _subscriber("en")
    campaign = _send_now(_campaign(editor), editor, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http") and "/privacy/unsubscribe/" in url
    assert url in message.body
    assert f'href="{url}"' in message.alternatives[0].content
    response = Client(enforce_csrf_checks=True).post(
        _unsubscribe_path(message), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert has_consent(type(member).objects.get(pk=member.pk), "newsletter") is False
    assert campaign_log(campaign)["withdrawn"] == 1


def test_no_tracking_pixels_or_tracked_links(editor, settings, django_capture_on_commit_callbacks):
    """Links go straight to where the editor pointed them; nothing is loaded when the mail is opened."""
    assert not {"image", "embed"} & set(BODY_FEATURES)
    _subscriber("en")
    _send_now(_campaign(editor), editor, django_capture_on_commit_callbacks)
    html = mail.outbox[0].alternatives[0].content
    assert "<img" not in html and "src=" not in html and "url(" not in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    unsubscribe = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    assert hrefs == ["https://example.com/offline", settings.PORTAL_BASE_URL + "/kb/offline/", unsubscribe]


def test_the_sending_rate_is_bounded(editor, settings, django_capture_on_commit_callbacks):
    """At most NEWSLETTER_MAILS_PER_MINUTE mails a minute; every subscriber gets exactly one."""
    settings.NEWSLETTER_MAILS_PER_MINUTE = 2
    members = [_subscriber("en") for _ in range(5)]
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        campaign = _send_now(_campaign(editor), editor, django_capture_on_commit_callbacks)
        assert (campaign.status, len(mail.outbox)) == (CampaignStatus.SENDING, 2)
        assert _tick(django_capture_on_commit_callbacks) == 0  # the same minute: nothing more
    for minutes, total in ((1, 4), (2, 5), (3, 5)):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes, seconds=1), tick=False):
            _tick(django_capture_on_commit_callbacks)
        assert len(mail.outbox) == total
    assert sorted(message.to[0] for message in mail.outbox) == sorted(member.email for member in members)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued_count, campaign.sent_count) == (CampaignStatus.SENT, 5, 5)


def test_the_editor_sends_a_test_to_themselves(client, editor, django_capture_on_commit_callbacks):
    """ "Send a test to me" mails both languages to the editor only, without any newsletter consent."""
    _subscriber("en")
    campaign = _campaign(editor)
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/campaigns/overview/{campaign.pk}/test/")
    assert response.status_code == 302
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([editor.email], "[Test] Offline mode is here"),
        ([editor.email], "[Test] Der Offline-Modus ist da"),
    ]
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued_count) == (CampaignStatus.DRAFT, 0)


def test_compose_preview_and_send_in_the_back_office(client, editor, django_capture_on_commit_callbacks):
    """An editor composes through Wagtail's rich text, previews both languages, sends; the log shows counts only."""
    member = _subscriber("de")

    def draftail(text):
        block = {"key": "a1", "text": text, "type": "unstyled", "depth": 0, "inlineStyleRanges": [], "entityRanges": []}
        return json.dumps({"blocks": [block], "entityMap": {}})

    client.force_login(editor)
    response = client.post(
        "/admin/campaigns/new/",
        {
            "title": "October",
            "subject_en": "News in October",
            "body_en": draftail("Hello from Acme."),
            "subject_de": "Neues im Oktober",
            "body_de": draftail("Hallo von Acme."),
        },
    )
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/admin/campaigns/overview/{campaign.pk}/"
    assert (campaign.created_by, campaign.body_de) == (editor, '<p data-block-key="a1">Hallo von Acme.</p>')
    page = client.get(response["Location"]).content.decode()
    assert '<div class="rich-text"><p data-block-key="a1">Hello from Acme.</p></div>' in page
    assert '<div class="rich-text"><p data-block-key="a1">Hallo von Acme.</p></div>' in page
    assert "Right now 1 member has a confirmed newsletter subscription (0 in English, 1 in German)." in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/campaigns/overview/{campaign.pk}/send/")
    assert [(message.to, message.subject) for message in mail.outbox] == [([member.email], "Neues im Oktober")]
    page = client.get(f"/admin/campaigns/overview/{campaign.pk}/").content.decode()
    assert '<td data-count="queued">1</td>' in page and '<td data-count="sent">1</td>' in page
    assert member.email not in page and member.handle not in page
    assert (
        client.get(f"/admin/campaigns/edit/{campaign.pk}/")["Location"] == f"/admin/campaigns/overview/{campaign.pk}/"
    )


def test_only_editors_and_administrators_work_on_campaigns(client, editor, moderator, customer):
    """Moderators and customers are turned away from a campaign; their attempts to test or send queue nothing."""
    campaign = _campaign(editor)
    overview = f"/admin/campaigns/overview/{campaign.pk}/"
    # Wagtail answers a refusal with a redirect: staff to the dashboard, everyone else to the login.
    for user, where in ((moderator, "/admin/"), (customer, f"/admin/login/?next={overview}")):
        client.force_login(user)
        response = client.get(overview)
        assert (response.status_code, response["Location"]) == (302, where)
        client.post(f"{overview}send/")
        client.post(f"{overview}test/")
    campaign.refresh_from_db()
    assert (campaign.status, OutgoingMail.objects.count()) == (CampaignStatus.DRAFT, 0)
    client.force_login(editor)
    assert client.get(overview).status_code == 200


def test_a_campaign_needs_both_languages_before_it_goes_out(editor):
    """Scheduling refuses a campaign whose German text is empty; it stays a draft."""
    campaign = _campaign(editor, body_de="<p></p>")
    with pytest.raises(ValidationError) as caught:
        services.campaign_schedule(campaign=campaign, actor=editor)
    assert caught.value.message_dict == {"body_de": ["Write the German text."]}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_the_campaign_list_costs_the_same_queries_for_more_rows(client, editor):
    """The back-office list does not query per campaign."""
    client.force_login(editor)
    _campaign(editor)
    client.get("/admin/campaigns/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/admin/campaigns/").status_code == 200
    for n in range(5):
        _campaign(editor, title=f"Issue {n}")
    with CaptureQueriesContext(connection) as six:
        assert client.get("/admin/campaigns/").status_code == 200
    assert len(six) == len(one)


@pytest.mark.parametrize("body", ["\x00", "\ufeff\u200b", "99999999999999999999", "9" * 5000, '{"blocks": 1}'])
def test_a_hand_made_post_with_a_body_that_is_not_editor_json_is_a_form_error(client, editor, body):
    """Found by the fuzz test: a body the editor's script did not write is "required", not a server error."""
    client.force_login(editor)
    response = client.post(
        "/admin/campaigns/new/",
        {"title": "Spring", "subject_en": "News", "subject_de": "Neues", "body_en": body, "body_de": body},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"body_en", "body_de"}
    assert Campaign.objects.count() == 0

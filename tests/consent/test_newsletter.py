"""Newsletter double opt-in and one-click unsubscribe, with mail through a real SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from consent import selectors, services
from consent.models import ConsentEvent, ConsentState, MemberConsent, OptInToken
from consent.newsletter import marketing_mail_queue, newsletter_send
from portal.mail import deliver_mail
from portal.models import OutgoingMail
from tests.smtp import SMTPServer

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://\S+/privacy/confirm/(\S+)/")


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _subscribe(client, customer, capture):
    client.force_login(customer)
    with capture(execute=True):
        response = client.post("/privacy/consents/newsletter/", {"action": "grant", "notice_version": "1"})
    assert response.status_code == 302


def test_double_opt_in_unsubscribe_and_no_mail_without_live_consent(
    client, customer, smtp_server, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _subscribe(client, customer, capture)
    assert selectors.has_consent(_fresh(customer), "newsletter") is False  # pending until confirmed
    assert MemberConsent.objects.get(user=customer).state == ConsentState.PENDING
    confirmation = smtp_server.wait_for(1)[0]
    assert confirmation["to"] == [customer.email]
    body = SMTPServer.body(confirmation)
    assert "List-Unsubscribe" not in confirmation["message"]  # a confirmation is not marketing, and carries no ads
    path = urlsplit(LINK.search(body).group(0)).path

    with capture(execute=True):
        assert newsletter_send(subject="News", body="Our news") == 0  # nothing to pending addresses
    assert len(smtp_server.messages) == 1

    assert client.get(path).status_code == 200  # a mail scanner following the link confirms nothing
    assert selectors.has_consent(_fresh(customer), "newsletter") is False
    anonymous = Client()
    response = anonymous.post(path)  # the link works without being logged in
    assert response.status_code == 200 and b"Subscription confirmed" in response.content
    assert selectors.has_consent(_fresh(customer), "newsletter") is True
    assert list(ConsentEvent.objects.values_list("kind", "state")) == [
        ("opt_in_request", "pending"),
        ("opt_in_confirm", "granted"),
    ]
    assert anonymous.post(path).status_code == 410  # single use

    with capture(execute=True):
        assert newsletter_send(subject="News of March", body="Our news") == 1
    newsletter = smtp_server.wait_for(2)[1]["message"]
    assert newsletter["Subject"] == "News of March"
    assert newsletter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = newsletter["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe_url in SMTPServer.body(smtp_server.messages[1])

    one_click = Client(enforce_csrf_checks=True)  # RFC 8058: the provider POSTs without session or CSRF token
    response = one_click.post(
        urlsplit(unsubscribe_url).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert selectors.has_consent(_fresh(customer), "newsletter") is False
    last = ConsentEvent.objects.order_by("-index").first()
    assert (last.kind, last.state, '"method":"email_link"' in last.payload) == ("withdraw", "withdrawn", True)

    with capture(execute=True):
        assert newsletter_send(subject="More news", body="Our news") == 0
    # A mail queued before the withdrawal does not leave after it: the worker asks again when it sends.
    queued = marketing_mail_queue(user=_fresh(customer), purpose="newsletter", subject="x", body="y")
    assert deliver_mail.call(mail_id=queued.pk) is False
    assert OutgoingMail.objects.filter(pk=queued.pk).exists() is False
    assert len(smtp_server.messages) == 2


def test_an_expired_link_expires_the_opt_in(client, customer, smtp_server, django_capture_on_commit_callbacks):
    _subscribe(client, customer, django_capture_on_commit_callbacks)
    token = LINK.search(SMTPServer.body(smtp_server.wait_for(1)[0])).group(1)
    OptInToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(f"/privacy/confirm/{token}/")
    assert response.status_code == 410
    assert MemberConsent.objects.get(user=customer).state == ConsentState.EXPIRED
    assert ConsentEvent.objects.order_by("-index").first().kind == "expire"
    assert selectors.has_consent(_fresh(customer), "newsletter") is False
    assert Client().post(f"/privacy/confirm/{token}/").status_code == 410


def test_the_daily_expiry_task_expires_stale_opt_ins(client, customer, smtp_server, django_capture_on_commit_callbacks):
    from consent.tasks import expire_pending_opt_ins

    _subscribe(client, customer, django_capture_on_commit_callbacks)
    assert expire_pending_opt_ins.call() == 0
    OptInToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_pending_opt_ins.call() == 1
    assert expire_pending_opt_ins.call() == 0
    assert MemberConsent.objects.get(user=customer).state == ConsentState.EXPIRED


def test_unknown_links_change_nothing(client, customer):
    assert Client().get("/privacy/confirm/not-a-token/").status_code == 404
    assert Client().post("/privacy/unsubscribe/forged/").status_code == 404
    assert Client().get("/privacy/unsubscribe/forged/").status_code == 404
    assert ConsentEvent.objects.count() == 0


def test_unsubscribe_page_asks_before_withdrawing(customer):
    from consent.unsubscribe import unsubscribe_token

    services.consent_grant(user=customer, purpose="analytics")
    path = f"/privacy/unsubscribe/{unsubscribe_token(customer, 'analytics')}/"
    response = Client().get(path)
    assert response.status_code == 200 and b"One click, no login needed" in response.content
    assert selectors.has_consent(_fresh(customer), "analytics") is True
    assert Client(enforce_csrf_checks=True).post(path).status_code == 200
    assert selectors.has_consent(_fresh(customer), "analytics") is False


def test_withdrawing_cancels_a_pending_opt_in_link(client, customer, smtp_server, django_capture_on_commit_callbacks):
    _subscribe(client, customer, django_capture_on_commit_callbacks)
    token = LINK.search(SMTPServer.body(smtp_server.wait_for(1)[0])).group(1)
    client.post("/privacy/consents/newsletter/", {"action": "withdraw"})
    assert MemberConsent.objects.get(user=customer).state == ConsentState.WITHDRAWN
    assert Client().post(f"/privacy/confirm/{token}/").status_code == 410
    assert selectors.has_consent(_fresh(customer), "newsletter") is False


def test_the_confirmation_mail_speaks_the_member_language(client, smtp_server, django_capture_on_commit_callbacks):
    from tests.factories import make_member

    member = make_member(preferred_language="de")
    _subscribe(client, member, django_capture_on_commit_callbacks)
    message = smtp_server.wait_for(1)[0]["message"]
    assert message["Subject"] == "Bitte bestätigen: Newsletter"
    assert "Bis zur Bestätigung erhalten Sie nichts von uns." in SMTPServer.body(smtp_server.messages[0])

"""Member-facing request pages, identity codes and the DPO console."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consent.dsar import services
from consent.dsar.models import AccessRequest, RequestKind, RequestState, VerificationCode
from consent.models import MemberConsent
from consent.selectors import has_consent
from consent.services import consent_grant
from tests.factories import make_member

S = RequestState


def test_privacy_centre_links_to_the_data_pages(client, customer):
    """The privacy centre has the 'Your data' section linking to export, erasure and requests."""
    client.force_login(customer)
    html = client.get(reverse("consent:centre")).content.decode()
    assert 'id="your-data"' in html
    assert html.count(reverse("consent:dsar:mine")) == 3


def test_member_files_an_erasure_request_with_password(client, customer, password):
    """The form needs the password; the request is then verified and due in a month."""
    client.force_login(customer)
    response = client.post(
        reverse("consent:dsar:request_create"),
        {"req-kind": "erasure", "req-details": "Please delete me", "req-password": password},
    )
    assert response.status_code == 302
    request = AccessRequest.objects.get(member=customer)
    assert (request.kind, request.state, request.details) == ("erasure", S.VERIFIED, "Please delete me")
    page = client.get(reverse("consent:dsar:mine")).content.decode()
    assert "Erasure (Art. 17)" in page


def test_member_request_with_wrong_password_records_nothing(client, customer):
    """Without re-authentication no request is recorded."""
    client.force_login(customer)
    response = client.post(reverse("consent:dsar:request_create"), {"req-kind": "erasure", "req-password": "nope"})
    assert response.status_code == 400
    assert AccessRequest.objects.count() == 0


def test_member_cannot_withdraw_someone_elses_request(client, customer, other_customer):
    """Guessing another member's request id gives 404 and changes nothing."""
    request = services.request_create(member=other_customer, kind=RequestKind.ACCESS, actor=other_customer)
    client.force_login(customer)
    response = client.post(reverse("consent:dsar:withdraw", args=[request.pk]))
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.state == S.VERIFIED


def test_member_withdraws_own_request(client, customer):
    """The member can take their own request back."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    client.force_login(customer)
    client.post(reverse("consent:dsar:withdraw", args=[request.pk]))
    request.refresh_from_db()
    assert request.state == S.WITHDRAWN


def _letter_request(customer, dpo, django_capture_on_commit_callbacks):
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=dpo, channel="letter")
    with django_capture_on_commit_callbacks(execute=True):
        services.verification_send(request=request, actor=dpo)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    return request, code


def test_code_is_mailed_to_the_account_address_and_verifies_once(
    client, customer, dpo, django_capture_on_commit_callbacks
):
    """The code goes to the account's address; entering it verifies the request, a second use fails."""
    request, code = _letter_request(customer, dpo, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [customer.email]
    url = reverse("consent:dsar:verify", args=[request.pk])
    assert client.post(url, {"code": code}).status_code == 200
    request.refresh_from_db()
    assert request.state == S.VERIFIED
    assert client.post(url, {"code": code}).status_code == 400
    request.refresh_from_db()
    assert request.state == S.VERIFIED


def test_five_wrong_codes_lock_it(client, customer, dpo, django_capture_on_commit_callbacks):
    """After five wrong codes even the right one is refused; the request stays unverified."""
    request, code = _letter_request(customer, dpo, django_capture_on_commit_callbacks)
    url = reverse("consent:dsar:verify", args=[request.pk])
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(5):
        assert client.post(url, {"code": wrong}).status_code == 400
    response = client.post(url, {"code": code})
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    request.refresh_from_db()
    assert request.state == S.IDENTITY_UNVERIFIED
    assert VerificationCode.objects.get(request=request).attempts == 5


def test_expired_code_is_refused(client, customer, dpo, django_capture_on_commit_callbacks):
    """A code older than 24 hours no longer verifies."""
    request, code = _letter_request(customer, dpo, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post(reverse("consent:dsar:verify", args=[request.pk]), {"code": code})
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.state == S.IDENTITY_UNVERIFIED


def test_guessed_request_id_is_404(client, db):
    """Request ids are UUIDs; an unknown one is 404."""
    response = client.get(reverse("consent:dsar:verify", args=["00000000-0000-4000-8000-000000000000"]))
    assert response.status_code == 404


@pytest.mark.parametrize("fixture", ["customer", "moderator", "editor", "product_manager"])
def test_console_is_for_the_dpo_only(client, request, fixture):
    """Everyone but the DPO is refused (403/redirect) and sees nothing of the requests."""
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(reverse("dsar_admin:console"))
    assert response.status_code in (302, 403)


def test_console_sorts_by_time_left_and_flags(client, dpo):
    """The most urgent request comes first; overdue and due-soon rows are flagged."""
    members = [make_member() for _ in range(3)]
    now = timezone.now()
    for member, days_ago in zip(members, (5, 40, 27), strict=True):
        with time_machine.travel(now - timedelta(days=days_ago)):
            services.request_create(member=member, kind=RequestKind.ACCESS, actor=member)
    client.force_login(dpo)
    html = client.get(reverse("dsar_admin:console")).content.decode()
    rows = re.findall(r'class="dsar-row dsar-row--(\w+)"', html)
    assert rows == ["overdue", "due_soon", "ok"]


def test_console_query_count_does_not_grow(client, dpo, django_assert_num_queries):
    """The console list costs the same number of queries at 5 and 50 requests."""
    client.force_login(dpo)
    client.get(reverse("dsar_admin:console"))
    counts = []
    for total in (5, 50):
        while AccessRequest.objects.count() < total:
            member = make_member()
            services.request_create(member=member, kind=RequestKind.ACCESS, actor=member)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dsar_admin:console")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_dpo_completes_an_erasure_from_the_console(client, customer, dpo, password, django_capture_on_commit_callbacks):
    """Start, erase, complete: the member is erased and the request closed with the report attached."""
    request = services.request_create(member=customer, kind=RequestKind.ERASURE, actor=customer)
    client.force_login(dpo)
    url = reverse("dsar_admin:detail", args=[request.pk])
    assert client.post(url, {"action": "start"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "erase", "confirm_handle": customer.handle}).status_code == 302
    assert client.post(url, {"action": "complete"}).status_code == 302
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.state == S.COMPLETED
    assert request.result.startswith("Erased; report ")
    assert customer.erased_at is not None
    page = client.get(url).content.decode()
    assert "Erasure report" in page
    assert client.post(url, {"action": "erase"}).status_code == 400


def test_dpo_extends_from_the_console(client, customer, dpo):
    """The extend form sets the new due date and records the reason."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    client.force_login(dpo)
    url = reverse("dsar_admin:detail", args=[request.pk])
    client.post(url, {"action": "extend", "months": "2", "reason": "Several systems must be searched."})
    request.refresh_from_db()
    assert request.extension_reason == "Several systems must be searched."
    assert request.extended_due_on is not None


def test_restriction_stops_every_consent_based_processing(customer, dpo):
    """A restriction withdraws every live consent at once, so has_consent is False for each purpose."""
    consent_grant(user=customer, purpose="public_profile")
    consent_grant(user=customer, purpose="analytics")
    request = services.request_create(member=customer, kind=RequestKind.RESTRICTION, actor=customer)
    services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)
    assert services.request_restrict(request=request, actor=dpo) == 2
    customer.__dict__.pop("_consent_memo", None)
    assert has_consent(customer, "public_profile") is False
    assert has_consent(customer, "analytics") is False
    assert set(MemberConsent.objects.filter(user=customer).values_list("state", flat=True)) == {"withdrawn"}


def test_rectification_updates_the_account_and_emits_the_event(customer, dpo, django_capture_on_commit_callbacks):
    """Corrected names and e-mail are saved and the CRM gets the changed field names."""
    from consent.dsar.events import member_rectified

    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    member_rectified.connect(receiver)
    try:
        request = services.request_create(member=customer, kind=RequestKind.RECTIFICATION, actor=customer)
        services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)
        with django_capture_on_commit_callbacks(execute=True):
            changed = services.request_rectify(
                request=request, actor=dpo, first_name="Ada", last_name=customer.last_name, email="ada@example.com"
            )
    finally:
        member_rectified.disconnect(receiver)
    customer.refresh_from_db()
    assert changed == ["first_name", "email"]
    assert (customer.first_name, customer.email) == ("Ada", "ada@example.com")
    assert [(kw["user_id"], kw["fields"]) for kw in received] == [(customer.pk, ["first_name", "email"])]


def test_request_page_speaks_german(client, customer):
    """German ships: the page, the kinds and the buttons are translated."""
    customer.preferred_language = "de"
    customer.save(update_fields=["preferred_language"])
    client.force_login(customer)
    html = client.get(reverse("consent:dsar:mine"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ihre Daten herunterladen" in html
    assert "Löschung (Art. 17)" in html
    assert "Meinen Export erstellen" in html

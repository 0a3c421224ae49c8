"""The privacy centre, its one-click toggles, fixed query budgets, and who may open the back-office pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent import pseudonyms, selectors, services
from consent.models import AuditEntry, ConsentEvent, NoticeVersion, Purpose
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_see_the_purposes_and_a_login_link(client, home_page):
    html = client.get("/privacy/").content.decode()
    assert "Log in to manage your consents" in html and "/account/login/?next=/privacy/" in html
    for name in Purpose.objects.values_list("name_en", flat=True):
        assert name in html
    assert 'name="action"' not in html  # no toggles without an account


def test_the_centre_shows_every_purpose_off_for_a_new_member(client, customer, home_page):
    client.force_login(customer)
    html = client.get("/privacy/").content.decode()
    assert html.count('data-state="off"') == 5
    assert html.count('value="grant"') == 5 and 'value="withdraw"' not in html
    assert f"@{customer.handle}" in html
    assert "No consent given or withdrawn yet." in html


def test_granting_and_withdrawing_take_one_click_each(client, customer, home_page):
    client.force_login(customer)
    response = client.post("/privacy/consents/crm_followup/", {"action": "grant", "notice_version": "1"})
    assert response.status_code == 302 and response["Location"] == "/privacy/#purpose-crm_followup"
    assert selectors.has_consent(type(customer).objects.get(pk=customer.pk), "crm_followup") is True
    html = client.get("/privacy/").content.decode()
    assert 'data-state="granted"' in html and 'value="withdraw"' in html
    response = client.post("/privacy/consents/crm_followup/", {"action": "withdraw", "notice_version": "1"})
    assert response.status_code == 302
    assert selectors.has_consent(type(customer).objects.get(pk=customer.pk), "crm_followup") is False
    assert ConsentEvent.objects.count() == 2
    html = client.get("/privacy/").content.decode()
    assert html.count("Download") == 2  # one receipt per event in the history


def test_bad_toggle_requests_change_nothing(client, customer):
    client.force_login(customer)
    assert client.post("/privacy/consents/analytics/", {"action": "maybe"}).status_code == 400
    assert client.post("/privacy/consents/unknown/", {"action": "grant"}).status_code == 404
    assert client.get("/privacy/consents/analytics/").status_code == 405
    response = client.post("/privacy/consents/analytics/", {"action": "grant", "notice_version": "7"}, follow=True)
    assert "The notice has changed" in response.content.decode()
    assert ConsentEvent.objects.count() == 0


def test_anonymous_toggle_goes_to_login(client):
    response = client.post("/privacy/consents/analytics/", {"action": "grant"})
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    assert ConsentEvent.objects.count() == 0


def test_a_lapsed_consent_asks_to_agree_again(client, customer, home_page):
    services.consent_grant(user=customer, purpose="analytics")
    services.notice_publish(purpose=Purpose.objects.get(code="analytics"), text_en="New", text_de="Neu", material=True)
    client.force_login(customer)
    html = client.get("/privacy/").content.decode()
    assert 'data-state="lapsed"' in html and "Agree again" in html


def _centre_queries(client, member) -> int:
    client.force_login(member)
    client.get("/privacy/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/privacy/").status_code == 200
    return len(ctx.captured_queries)


def test_the_centre_has_a_query_budget_independent_of_history_length(client, home_page, dpo):
    few, many = make_member(), make_member()
    services.consent_grant(user=few, purpose="analytics")
    services.audit_record(actor=dpo, subject=few, action="view_data", reason="request 1")
    for i in range(30):
        services.consent_set(user=many, purpose="analytics", granted=i % 2 == 0)
        services.consent_set(user=many, purpose="public_profile", granted=i % 2 == 0)
        services.audit_record(actor=dpo, subject=many, action="view_data", reason=f"request {i}")
    budget = _centre_queries(client, few)
    assert budget == _centre_queries(client, many)
    assert budget <= 14


def test_the_centre_lists_who_accessed_the_member_data(client, customer, dpo, home_page):
    services.audit_record(actor=dpo, subject=customer, action="export", reason="Access request DSAR-7")
    client.force_login(customer)
    html = client.get("/privacy/").content.decode()
    assert f"@{dpo.handle}" in html and "exported your data" in html and "Access request DSAR-7" in html


ADMIN_PAGES = [
    "consent_admin:reidentify",
    "consent_admin:record",
    "consent_admin:audit",
    "consent_admin:ledger",
    "consent_admin:notices",
]
EXPECTED = {
    "dpo": {
        "consent_admin:reidentify",
        "consent_admin:record",
        "consent_admin:audit",
        "consent_admin:ledger",
        "consent_admin:notices",
    },
    "administrator": {"consent_admin:record", "consent_admin:audit", "consent_admin:ledger", "consent_admin:notices"},
    "moderator": set(),
    "editor": set(),
    "product_manager": set(),
    "customer": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_back_office_privacy_pages_by_role(client, request, role):
    client.force_login(request.getfixturevalue(role))
    allowed = {name for name in ADMIN_PAGES if client.get(reverse(name)).status_code == 200}
    assert allowed == EXPECTED[role]


def test_anonymous_visitors_cannot_open_back_office_pages(client):
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 302


def test_the_dpo_re_identifies_through_the_back_office(client, dpo, customer):
    pseudonym = pseudonyms.pseudonym_for(customer, "crm")
    client.force_login(dpo)
    response = client.post(
        reverse("consent_admin:reidentify"), {"pseudonym": pseudonym, "reason": "Complaint #88 needs an answer"}
    )
    assert response.status_code == 200
    assert customer.email in response.content.decode()
    assert AuditEntry.objects.get().reason == "Complaint #88 needs an answer"
    response = client.post(reverse("consent_admin:reidentify"), {"pseudonym": pseudonym, "reason": "short"})
    assert response.status_code == 400 and customer.email not in response.content.decode()
    assert AuditEntry.objects.count() == 1


def test_record_of_processing_downloads(client, dpo):
    client.force_login(dpo)
    data = json.loads(client.get(reverse("consent_admin:record") + "?format=json").content)
    assert [a["code"] for a in data["activities"]] == [
        "crm_followup",
        "newsletter",
        "analytics",
        "public_profile",
        "chat_transcript",
    ]
    assert {"consents", "profile"} <= {c["category"] for c in data["personal_data_categories"]}
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("consent_admin:record") + "?format=csv").content.decode()))
    )
    assert [r["code"] for r in rows] == [a["code"] for a in data["activities"]]
    assert rows[0]["legal_basis"] == "Consent (Art. 6(1)(a) GDPR)"


def test_the_dpo_publishes_a_notice_version_and_verifies_the_ledger(client, dpo, customer):
    services.consent_grant(user=customer, purpose="analytics")
    client.force_login(dpo)
    response = client.post(
        reverse("consent_admin:notice_publish", args=["analytics"]),
        {"text_en": "We count pages.", "text_de": "Wir zählen Seiten.", "material": "on"},
    )
    assert response.status_code == 302
    notice = NoticeVersion.objects.get(purpose__code="analytics", version=2)
    assert (notice.text_de, notice.material) == ("Wir zählen Seiten.", True)
    assert selectors.has_consent(type(customer).objects.get(pk=customer.pk), "analytics") is False
    response = client.post(reverse("consent_admin:ledger"))
    assert 'data-ledger-result="ok"' in response.content.decode()


def test_purposes_are_editable_in_the_back_office_but_codes_are_stable(client, dpo):
    purpose = Purpose.objects.get(code="analytics")
    client.force_login(dpo)
    url = reverse("consent_purposes:edit", args=[purpose.pk])
    assert client.get(url).status_code == 200
    data = {
        "code": "renamed",
        "name_en": "Usage statistics",
        "name_de": "Nutzungsstatistik",
        "summary_en": "s",
        "summary_de": "s",
        "legal_basis": "consent",
        "data_categories": "pages",
        "recipients": "none",
        "retention": "6 months",
        "position": "3",
    }
    assert client.post(url, data).status_code == 302
    purpose.refresh_from_db()
    assert (purpose.code, purpose.retention) == ("analytics", "6 months")


def test_the_jwks_is_public_json(client):
    response = client.get("/privacy/.well-known/jwks.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    key = response.json()["keys"][0]
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"} and "d" not in key

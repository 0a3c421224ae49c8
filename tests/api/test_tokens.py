"""Personal and integration tokens: stored hashed, shown once, revocable, expiring, rate-limited, audited."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from api.models import ApiToken
from api.services import token_digest
from consent.models import AuditEntry
from tests.api.conftest import auth, integration_token, personal_token


def test_token_is_stored_only_as_keyed_hash(customer):
    """The secret itself is nowhere in the database; its HMAC-SHA256 is, with a short prefix to recognise it."""
    secret = personal_token(customer)
    token = ApiToken.objects.get()
    assert token.digest == token_digest(secret)
    assert token.digest != secret and len(token.digest) == 64
    assert token.prefix == secret[:12]
    assert not ApiToken.objects.filter(digest=secret).exists()


def test_revoked_token_is_refused(client, customer, forum):
    """A revoked token answers 401 at once; before revocation the same call works."""
    secret = personal_token(customer)
    assert client.get("/api/v1/forums", **auth(secret)).status_code == 200
    client.force_login(customer)
    token = ApiToken.objects.get()
    response = client.post(f"/account/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    client.logout()
    refused = client.get("/api/v1/forums", **auth(secret))
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    assert list(AuditEntry.objects.filter(subject=customer).values_list("action", flat=True).order_by("pk")) == [
        "api_token_create",
        "api_token_revoke",
    ]


def test_expired_token_is_refused(client, customer, forum):
    """A token works until its expiry and not a moment after."""
    expires = timezone.now() + timedelta(days=1)
    secret = personal_token(customer, expires_at=expires)
    with time_machine.travel(expires - timedelta(seconds=1), tick=False):
        assert client.get("/api/v1/forums", **auth(secret)).status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1), tick=False):
        assert client.get("/api/v1/forums", **auth(secret)).status_code == 401


def test_rate_limit_per_token_with_retry_after(client, customer, other_customer, forum, settings):
    """Over the per-token limit a token gets 429 with Retry-After; another token is not affected."""
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    secret = personal_token(customer)
    other = personal_token(other_customer)
    assert [client.get("/api/v1/forums", **auth(secret)).status_code for _ in range(2)] == [200, 200]
    limited = client.get("/api/v1/forums", **auth(secret))
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["status"] == 429
    assert client.get("/api/v1/forums", **auth(other)).status_code == 200


def test_last_used_is_recorded(client, customer, forum):
    secret = personal_token(customer)
    assert ApiToken.objects.get().last_used_at is None
    client.get("/api/v1/forums", **auth(secret))
    assert ApiToken.objects.get().last_used_at is not None


def test_account_page_shows_the_secret_once(client, customer):
    """Creating a token on the account page shows its secret in that response only; the list shows the prefix."""
    client.force_login(customer)
    created = client.post("/account/api-tokens/", {"name": "my script", "scope": "write", "expires": "30"})
    assert created.status_code == 200
    secret = created.context["secret"]
    assert secret.startswith("cpat_") and secret in created.content.decode()
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.kind) == ("my script", ["write"], "personal")
    listed = client.get("/account/api-tokens/")
    assert secret not in listed.content.decode()
    assert token.prefix in listed.content.decode()


def test_account_page_is_linked_and_translated(client, customer):
    customer.preferred_language = "de"
    customer.save(update_fields=["preferred_language"])
    client.force_login(customer)
    account = client.get("/account/", HTTP_ACCEPT_LANGUAGE="de")
    assert 'href="/account/api-tokens/"' in account.content.decode()
    page = client.get("/account/api-tokens/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Token erstellen" in page.content.decode()


def test_integration_tokens_are_managed_by_administrators_only(client, administrator, moderator):
    """The back-office page issues tokens for administrators; a moderator gets 403 and no token is made."""
    client.force_login(moderator)
    refused = client.post("/admin/api/integrations/", {"name": "x", "user": moderator.pk, "scopes": ["cards:read"]})
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert not ApiToken.objects.exists()
    assert "/admin/api/integrations/" not in client.get("/admin/").content.decode()
    client.force_login(administrator)
    assert "/admin/api/integrations/" in client.get("/admin/").content.decode()
    response = client.post(
        "/admin/api/integrations/",
        {"name": "Helpdesk", "user": moderator.pk, "scopes": ["cards:read", "threads:read"], "expires": "365"},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.kind, token.user, sorted(token.scopes)) == ("integration", moderator, ["cards:read", "threads:read"])
    assert response.context["secret"].startswith("cint_")
    client.post(f"/admin/api/integrations/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_integration_token_of_an_inactive_account_is_refused(client, administrator, moderator, forum):
    secret = integration_token(administrator, moderator, ["threads:read"])
    assert client.get("/api/v1/forums", **auth(secret)).status_code == 200
    moderator.is_active = False
    moderator.save(update_fields=["is_active"])
    assert client.get("/api/v1/forums", **auth(secret)).status_code == 401


def test_a_personal_token_is_refused_while_the_account_waits_to_be_deleted(client, customer, forum):
    """Self-service deletion locks the account at once: its API tokens stop too, and work again once it is cancelled."""
    from consent.dsar.services.self_deletion import account_deletion_cancel, account_deletion_request

    secret = personal_token(customer)
    assert client.get("/api/v1/forums", **auth(secret)).status_code == 200
    account_deletion_request(member=customer)
    refused = client.get("/api/v1/forums", **auth(secret))
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "being deleted" in refused.json()["detail"]
    account_deletion_cancel(member=customer)
    customer.refresh_from_db()
    assert client.get("/api/v1/forums", **auth(secret)).status_code == 200

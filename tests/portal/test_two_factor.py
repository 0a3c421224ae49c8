"""Two-factor sign-in: every staff role verifies a second factor on the site and in the back office."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from consent.models import AuditEntry
from portal.keys import production_values
from portal.roles import Role
from tests.factories import make_member
from tests.portal.test_settings_environments import CLEAN_ENV, ROOT

pytestmark = pytest.mark.django_db

SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/verify/"
CODES = "/account/two-factor/recovery-codes/"
STAFF_ROLES = (Role.MODERATOR, Role.PRODUCT_MANAGER, Role.EDITOR, Role.DPO, Role.ADMINISTRATOR)


@pytest.fixture
def client_factory():
    """Another browser: its own cookies, so its own session."""
    return Client


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client, user) -> tuple[TOTPDevice, list[str]]:
    """Sign in and set up an authenticator through the pages; returns the device and the recovery codes."""
    client.force_login(user)
    assert client.get(SETUP).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": code_for(device), "next": "/"})
    assert response.status_code == 302
    assert response.url == f"{CODES}?{urlencode({'next': '/'})}"
    codes = client.get(CODES).context["codes"]
    assert client.post(CODES, {"next": "/"}).url == "/"
    device.refresh_from_db()
    return device, codes


def redirect_for(step: str, next_url: str) -> str:
    return f"{step}?{urlencode({'next': next_url})}"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_without_authenticator_are_sent_to_setup_on_site_and_back_office(client, required, role):
    """Each staff role, signed in with a password only, reaches nothing but the set-up page."""
    user = make_member(role=role)
    client.force_login(user)
    for path in ("/account/", "/admin/", "/admin/pages/", "/privacy/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == redirect_for(SETUP, path)
    assert client.post("/admin/pages/").url == redirect_for(SETUP, "/admin/pages/")
    assert client.get("/healthz").status_code == 200
    page = client.get(SETUP)
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert page.context["manual_key"].replace(" ", "") in device.config_url


def test_django_staff_flag_alone_needs_a_second_factor(client, required):
    """is_staff without any role group is a staff account too."""
    user = make_member(role=Role.CUSTOMER, is_staff=True)
    client.force_login(user)
    assert client.get("/admin/").url == redirect_for(SETUP, "/admin/")


def test_json_requests_get_a_403_with_the_step(client, required, moderator):
    """A script or fetch() gets a JSON answer instead of an HTML redirect."""
    client.force_login(moderator)
    response = client.get("/account/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json() == {"error": "Two-factor sign-in needed.", "next": SETUP}


def test_after_setup_staff_use_site_and_back_office(client, required, moderator):
    """Confirming one code switches two-factor on, shows ten recovery codes once, and opens every page."""
    device, codes = enrol(client, moderator)
    assert device.confirmed is True
    assert len(codes) == 10
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=moderator).values_list("token", flat=True))
    assert client.get("/account/").status_code == 200
    assert client.get("/admin/").status_code == 200
    # Shown once: the page is gone after "I have saved my codes".
    assert client.get(CODES).url == "/account/two-factor/"


def test_recovery_codes_download_as_text_before_they_are_dismissed(client, required, moderator):
    client.force_login(moderator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=moderator)
    client.post(SETUP, {"code": code_for(device)})
    response = client.get(CODES + "download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert response["Cache-Control"] == "no-store"
    lines = response.content.decode().splitlines()
    assert sorted(lines[2:]) == sorted(StaticToken.objects.values_list("token", flat=True))


def test_wrong_setup_code_keeps_two_factor_off(client, required, moderator):
    client.force_login(moderator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=moderator)
    wrong = f"{(int(code_for(device)) + 1) % 10**6:06d}"
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 400
    assert "This code is not right." in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert StaticDevice.objects.filter(user=moderator).count() == 0
    assert client.get("/admin/").url == redirect_for(SETUP, "/admin/")


def test_a_new_session_asks_for_the_code(client, client_factory, required, dpo):
    """After set-up, every new sign-in asks for the current code before any page."""
    device, _codes = enrol(client, dpo)
    second = client_factory()
    second.force_login(dpo)
    assert second.get("/admin/").url == redirect_for(VERIFY, "/admin/")
    # With an authenticator, the set-up page cannot replace it from a password-only session.
    assert second.get(SETUP).url.startswith(VERIFY)
    response = second.post(VERIFY, {"code": code_for(device, steps_ahead=1), "next": "/admin/"})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert second.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(client, client_factory, required, editor):
    _device, codes = enrol(client, editor)
    first = client_factory()
    first.force_login(editor)
    assert first.post(VERIFY, {"code": codes[0].upper(), "next": "/admin/"}).url == "/admin/"
    assert first.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=editor).count() == 9
    again = client_factory()
    again.force_login(editor)
    response = again.post(VERIFY, {"code": codes[0], "next": "/admin/"})
    assert response.status_code == 400
    assert again.get("/admin/").url == redirect_for(VERIFY, "/admin/")


def test_wrong_codes_are_throttled(client, client_factory, required, product_manager):
    """After a wrong code even the right one is refused until the (doubling) wait is over."""
    device, _codes = enrol(client, product_manager)
    other = client_factory()
    other.force_login(product_manager)
    right = code_for(device, steps_ahead=1)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    assert other.post(VERIFY, {"code": wrong}).status_code == 400
    response = other.post(VERIFY, {"code": right})
    assert response.status_code == 429
    assert "Too many wrong codes." in response.content.decode()
    assert other.get("/admin/").url == redirect_for(VERIFY, "/admin/")
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        assert other.post(VERIFY, {"code": wrong}).status_code == 400
        device.refresh_from_db()
        assert device.throttling_failure_count == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        # Two failures: a 2-second wait, not yet over one second after the second failure.
        assert other.post(VERIFY, {"code": right}).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert other.post(VERIFY, {"code": code_for(device, steps_ahead=1)}).url == "/"
        device.refresh_from_db()
        assert device.throttling_failure_count == 0


def test_members_are_not_asked(client, required, customer):
    """A member without two-factor uses the portal as before."""
    client.force_login(customer)
    assert client.get("/account/").status_code == 200
    assert client.get("/account/two-factor/").status_code == 200
    assert TOTPDevice.objects.filter(user=customer).count() == 0


def test_a_member_may_switch_it_on_and_off(client, client_factory, customer):
    """Optional for members: once on, new sessions ask for the code; switching off needs a verified session."""
    client.force_login(customer)
    assert b"Switch on two-factor sign-in" in client.get("/account/two-factor/").content
    device, _codes = enrol(client, customer)
    second = client_factory()
    second.force_login(customer)
    assert second.get("/account/").url == redirect_for(VERIFY, "/account/")
    assert second.post("/account/two-factor/disable/").url == redirect_for(VERIFY, "/account/two-factor/disable/")
    assert TOTPDevice.objects.filter(user=customer).count() == 1
    assert client.post("/account/two-factor/disable/").url == "/account/two-factor/"
    assert TOTPDevice.objects.filter(user=customer).count() == 0
    assert StaticDevice.objects.filter(user=customer).count() == 0
    # The other session is no longer held at verification: the verify page lets it through.
    response = second.get("/account/", follow=True)
    assert response.redirect_chain == [(redirect_for(VERIFY, "/account/"), 302), ("/account/", 302)]
    assert response.status_code == 200
    assert second.get("/account/").status_code == 200


def test_staff_cannot_switch_it_off_while_required(client, required, moderator):
    enrol(client, moderator)
    response = client.post("/account/two-factor/disable/", follow=True)
    assert "Staff accounts must keep two-factor sign-in." in response.content.decode()
    assert TOTPDevice.objects.filter(user=moderator, confirmed=True).count() == 1


def test_not_required_in_development_keeps_demo_logins(client, settings, moderator):
    """With STAFF_2FA_REQUIRED off (development, tests), staff sign in with the password alone."""
    settings.STAFF_2FA_REQUIRED = False
    client.force_login(moderator)
    assert client.get("/admin/").status_code == 200


def test_an_administrator_resets_another_staff_account_audited(client, client_factory, required, administrator):
    """Only an administrator resets a lost authenticator; the audit log and the owner's access list show it."""
    enrol(client, administrator)
    moderator = make_member(role=Role.MODERATOR)
    mod_client = client_factory()
    enrol(mod_client, moderator)

    listing = client.get("/account/two-factor/staff/")
    assert listing.status_code == 200
    assert moderator.email in listing.content.decode()
    refused = client.post("/account/two-factor/staff/", {"user": moderator.pk, "reason": ""})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=moderator).count() == 1

    done = client.post("/account/two-factor/staff/", {"user": moderator.pk, "reason": "Lost phone, ticket 41"})
    assert done.status_code == 302
    assert TOTPDevice.objects.filter(user=moderator).count() == 0
    assert StaticDevice.objects.filter(user=moderator).count() == 0
    entry = AuditEntry.objects.get(action="second_factor_reset")
    assert (entry.actor, entry.subject, entry.reason) == (administrator, moderator, "Lost phone, ticket 41")
    assert entry.action_label == "reset your two-factor sign-in"
    # The moderator's verified session is over: set-up again at the next request.
    assert mod_client.get("/admin/").url == redirect_for(VERIFY, "/admin/")
    assert mod_client.get(redirect_for(VERIFY, "/admin/")).url == redirect_for(SETUP, "/admin/")


@pytest.mark.parametrize("role", (Role.MODERATOR, Role.DPO, Role.EDITOR))
def test_other_staff_cannot_reset(client, client_factory, required, role):
    actor = make_member(role=role)
    enrol(client, actor)
    victim = make_member(role=Role.MODERATOR)
    enrol(client_factory(), victim)
    assert client.get("/account/two-factor/staff/").status_code == 403
    assert client.post("/account/two-factor/staff/", {"user": victim.pk, "reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=victim).count() == 1
    assert not AuditEntry.objects.filter(action="second_factor_reset").exists()


def test_an_unverified_administrator_cannot_reset(client_factory, required, administrator):
    enrol(client_factory(), administrator)
    victim = make_member(role=Role.MODERATOR)
    enrol(client_factory(), victim)
    unverified = client_factory()
    unverified.force_login(administrator)
    response = unverified.post("/account/two-factor/staff/", {"user": victim.pk, "reason": "x"})
    assert response.url == redirect_for(VERIFY, "/account/two-factor/staff/")
    assert TOTPDevice.objects.filter(user=victim).count() == 1


PRINT_2FA = "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.STAFF_2FA_REQUIRED))"


def run_2fa_setting(module: str, tmp_path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRINT_2FA],
        cwd=ROOT,
        env={**CLEAN_ENV, "DJANGO_SETTINGS_MODULE": module, "PORTAL_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_requires_two_factor_for_staff(tmp_path):
    """Production always requires it, and refuses to start when told to switch it off."""
    values = {"ALLOWED_HOSTS": "portal.example.com", **production_values()}
    result = run_2fa_setting("portal.settings.production", tmp_path, **values)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is True
    refused = run_2fa_setting("portal.settings.production", tmp_path, STAFF_2FA_REQUIRED="0", **values)
    assert refused.returncode != 0
    assert "STAFF_2FA_REQUIRED=0 is refused in production" in refused.stderr


def test_development_makes_it_a_choice(tmp_path):
    env = {k: v for k, v in CLEAN_ENV.items() if k != "STAFF_2FA_REQUIRED"}
    for value, expected in ((None, False), ("1", True)):
        extra = {"STAFF_2FA_REQUIRED": value} if value else {}
        result = subprocess.run(
            [sys.executable, "-c", PRINT_2FA],
            cwd=ROOT,
            env={
                **env,
                "DJANGO_SETTINGS_MODULE": "portal.settings.development",
                "PORTAL_VAR_DIR": str(tmp_path),
                **extra,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.strip().splitlines()[-1]) is expected


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_websocket_of_an_unverified_staff_session_is_anonymous(client, required):
    """Sockets follow the pages' rule: a staff session without its second factor has no user on the socket."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from portal.asgi import application

    async def ping_user(session_client):
        cookie = f"sessionid={session_client.cookies['sessionid'].value}".encode()
        headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000"), (b"cookie", cookie)]
        communicator = WebsocketCommunicator(application, "/ws/ping/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_json_to({"type": "ping"})
        answer = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return answer["user"]

    moderator = await database_sync_to_async(make_member)(role=Role.MODERATOR)
    await database_sync_to_async(client.force_login)(moderator)
    assert await ping_user(client) is None
    await database_sync_to_async(enrol)(client, moderator)
    assert await ping_user(client) == moderator.handle

"""Accessibility audit: axe-core (from npm, see package.json) runs on the main member and staff pages,
in English and German, on a desktop and at 375 px; no serious or critical WCAG 2.1 AA violation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

MEMBER_PAGES = [
    "/",
    "/forums/",
    "/ideas/",
    "/blog/",
    "/kb/",
    "/privacy/",
    "/account/",
    "/account/notifications/",
    "/forums/bookmarks/",
    "/forums/getting-started/ask/",  # the editor: "Add image", the draft status
    "/privacy/requests/delete-account/",
    "/chat/",
]
STAFF_PAGES = {
    "moderator": [
        "/admin/",
        "/admin/community/queue/",
        "/admin/community/log/",
        "/admin/crm/cards/",
        "/chat/console/",
    ],
    "pm": ["/admin/ideas-review/"],
    "dpo": [
        "/admin/access-requests/",
        "/admin/access-requests/?origin=self_service",
        "/admin/access-requests/new/address/",
        "/admin/privacy/record/",
        "/admin/privacy/audit/",
    ],
}
ANONYMOUS_PAGES = [
    "/",
    "/account/login/",
    "/account/signup/",
    "/forums/",
    "/blog/",
    "/privacy/requests/delete-account/done/",
]


def _audit(page) -> list[dict]:
    """Run axe on the loaded page; return the serious and critical violations, each with its first targets."""
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `npm ci` in the repository (CI does)")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"][:3]],
        }
        for violation in result["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def _audit_pages(page, paths: list[str]) -> dict[str, list[dict]]:
    found = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        violations = _audit(page)
        if violations:
            found[path] = violations
    return found


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_anonymous_pages_have_no_serious_violations(new_page, locale, width):
    """Home, login, sign-up, forums and blog as a visitor: nothing serious or critical."""
    page = new_page(locale=locale, width=width)
    found = _audit_pages(page, ANONYMOUS_PAGES)
    assert not found, json.dumps(found, indent=1)


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_member_pages_have_no_serious_violations(new_page, locale, width):
    """A signed-in customer's main pages: nothing serious or critical."""
    page = new_page(locale=locale, width=width)
    login(page, "customer@example.com", "customer-demo-2026")
    found = _audit_pages(page, MEMBER_PAGES)
    assert not found, json.dumps(found, indent=1)


@pytest.mark.parametrize("role", sorted(STAFF_PAGES))
@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_staff_pages_have_no_serious_violations(new_page, locale, role):
    """Moderator, product manager and DPO: their back-office pages, nothing serious or critical."""
    page = new_page(locale=locale)
    login(page, f"{role}@example.com", f"{role}-demo-2026")
    found = _audit_pages(page, STAFF_PAGES[role])
    assert not found, json.dumps(found, indent=1)


@pytest.fixture(scope="module")
def public_profile_handle(live_server):
    """A member of its own with a live public_profile consent, a bio and a post (the demo accounts stay untouched)."""
    out = live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from consent.services import consent_grant; from portal.models import User; "
        "u = User.objects.create_user(email='a11y.profile@example.com', password='a11y-profile-pass-1', "
        "email_confirmed_at=timezone.now(), bio='Birdwatcher.'); "
        "u.groups.add(Group.objects.get(name='Customer')); consent_grant(user=u, purpose='public_profile'); "
        "print(u.handle)"
    )
    return out.strip().splitlines()[-1]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_public_profile_page_has_no_serious_violations(new_page, locale, width, public_profile_handle):
    """A member's public profile page, as a visitor: nothing serious or critical."""
    page = new_page(locale=locale, width=width)
    found = _audit_pages(page, [f"/members/{public_profile_handle}/"])
    assert not found, json.dumps(found, indent=1)

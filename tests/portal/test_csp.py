"""Content-Security-Policy: the site runs inline code only with the response's nonce; the back office keeps its policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.middleware import CSP_ADMIN

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NONCE_ATTRIBUTE = re.compile(r'<(script|style)\b[^>]*\bnonce="([^"]+)"')
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def header_nonce(policy: dict[str, list[str]]) -> str:
    (script_nonce,) = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    (style_nonce,) = [v for v in policy["style-src"] if v.startswith("'nonce-")]
    assert script_nonce == style_nonce
    return script_nonce.removeprefix("'nonce-").removesuffix("'")


@pytest.mark.parametrize("path", ["/account/login/", "/account/signup/", "/forums/", "/"])
def test_site_policy_has_a_nonce_and_no_unsafe_inline(client, home_page, path):
    """Inline <script>/<style> run only with the nonce the header names; no 'unsafe-inline' anywhere."""
    response = client.get(path)
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    policy = directives(header)
    nonce = header_nonce(policy)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["frame-src"] == ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
    html = response.content.decode()
    tags = NONCE_ATTRIBUTE.findall(html)
    assert {kind for kind, _value in tags} == {"script", "style"}
    assert {value for _kind, value in tags} == {nonce}
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert response["X-Frame-Options"] == "DENY"


def test_every_response_has_its_own_nonce(client, db):
    first = header_nonce(directives(client.get("/account/login/")["Content-Security-Policy"]))
    second = header_nonce(directives(client.get("/account/login/")["Content-Security-Policy"]))
    assert first != second
    assert len(first) >= 22  # 16 random bytes, base64


def test_back_office_keeps_its_own_policy(client, moderator):
    """Wagtail's admin needs inline scripts and eval: its policy is unchanged, and carries no nonce."""
    client.force_login(moderator)
    for path in ("/admin/login/", "/admin/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == CSP_ADMIN
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY
        assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_site_templates_have_no_inline_style_attributes():
    """A style="" attribute cannot carry a nonce, so the site's policy would drop it: classes in the theme CSS instead.

    The back office's templates (``*/admin/*``, served under /admin/), the export's stand-alone
    index file (opened from the ZIP, never served) and the newsletter's HTML mail (read in mail
    programs, which only honour inline styles) are not under the site's policy.
    """
    apps = [path for path in ROOT.iterdir() if (path / "__init__.py").exists() and path.name != "tests"]
    templates = sorted(template for app in apps for template in app.glob("**/templates/**/*.html"))
    assert ROOT / "theme" / "templates" / "base.html" in templates
    offenders = []
    for template in templates:
        relative = template.relative_to(ROOT).as_posix()
        if "/admin/" in relative:
            continue
        if relative in {
            "consent/dsar/templates/dsar/export_index.html",
            "consent/campaigns/templates/campaigns/mail.html",
        }:
            continue
        if re.search(r"\sstyle=\"", template.read_text()):
            offenders.append(relative)
    assert offenders == []


@pytest.mark.parametrize("path", ["/account/login/", "/forums/", "/"])
def test_images_load_only_from_the_portal_itself(client, home_page, path):
    """No third-party image anywhere (issue 17): img-src is the portal, inline data and blobs, on the site and in /admin/."""
    site = directives(client.get(path)["Content-Security-Policy"])
    assert site["img-src"] == ["'self'", "data:", "blob:"]
    assert directives(CSP_ADMIN)["img-src"] == ["'self'", "data:", "blob:"]

"""German pages carry no English interface string and English pages no German one.

The main journeys' pages are rendered from the demo content (``seed_demo``) in each language; every visible
text and every accessible name (``title``, ``aria-label``, ``placeholder``, ``alt``) is compared with the
project's own message catalogues. A German page showing an English msgid that has a German translation, or an
English page showing a German translation, means a string was translated too early (at import time), not
marked for translation in one place, or rendered in the wrong language.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

from portal.models import User

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
MEMBER_PAGES = [
    "/",
    "/forums/",
    "/ideas/",
    "/blog/",
    "/privacy/",
    "/account/",
    "/account/notifications/",
    "/chat/",
]
VISITOR_PAGES = ["/", "/account/login/", "/account/signup/", "/forums/", "/ideas/", "/blog/"]
STAFF_PAGES = {
    "moderator@example.com": [
        "/admin/community/queue/",
        "/admin/community/log/",
        "/admin/crm/cards/",
        "/chat/console/",
    ],
    "pm@example.com": ["/admin/ideas-review/"],
    "dpo@example.com": ["/admin/access-requests/", "/admin/privacy/record/", "/admin/privacy/audit/"],
}


def _catalogue_pairs() -> list[tuple[str, str]]:
    """(English msgid, German msgstr) of every singular message in the project's catalogues."""
    pairs = []
    for mo in ROOT.glob("*/**/locale/de/LC_MESSAGES/django.mo"):
        if ".venv" in mo.parts or "node_modules" in mo.parts:
            continue
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog
        pairs.extend((k, v) for k, v in catalogue.items() if isinstance(k, str) and k and v)
    return pairs


def _meaningful(text: str) -> bool:
    """Words, not codes, numbers or one-letter marks: long enough that a match is no coincidence."""
    return len(text) >= 4 and any(c.isalpha() for c in text) and "%(" not in text and "{" not in text


@pytest.fixture(scope="module")
def catalogues():
    pairs = _catalogue_pairs()
    english = {k.strip(): v for k, v in pairs if k != v and _meaningful(k.strip())}
    german = {v.strip(): k for k, v in pairs if k != v and _meaningful(v.strip())}
    # A word that is a msgid of one message and the translation of another ("Chat", "Status") is both languages.
    shared = {k.strip() for k, _ in pairs} & {v.strip() for _, v in pairs}
    return {k: v for k, v in english.items() if k not in shared}, {k: v for k, v in german.items() if k not in shared}


def _texts(html: str) -> set[str]:
    soup = BeautifulSoup(html, "html.parser")
    for element in soup(["script", "style", "template", "noscript"]):
        element.decompose()
    found = {" ".join(s.split()) for s in soup.stripped_strings}
    for attribute in ATTRIBUTES:
        found |= {" ".join(el[attribute].split()) for el in soup.find_all(attrs={attribute: True})}
    return {t for t in found if t}


def _leaks(client, paths: list[str], language: str, foreign: dict[str, str]) -> dict[str, list[str]]:
    leaks = {}
    for path in paths:
        response = client.get(path, follow=True, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (path, response.status_code)
        found = sorted(t for t in _texts(response.content.decode()) if t in foreign)
        if found:
            leaks[path] = found
    return leaks


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def _as(client, email: str, language: str) -> None:
    user = User.objects.with_email(email).get()
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    client.force_login(user)


@pytest.mark.parametrize(
    ("language", "pages"), [("de", "visitor"), ("en", "visitor"), ("de", "member"), ("en", "member")]
)
def test_member_pages_speak_one_language(client, demo, catalogues, language, pages):
    """Visitor and customer pages: no English interface string in German, no German one in English."""
    english, german = catalogues
    if pages == "member":
        _as(client, "customer@example.com", language)
    paths = MEMBER_PAGES if pages == "member" else VISITOR_PAGES
    assert _leaks(client, paths, language, english if language == "de" else german) == {}


@pytest.mark.parametrize("language", ["de", "en"])
def test_staff_pages_speak_one_language(client, demo, catalogues, language):
    """The moderator's, product manager's and DPO's main pages in the back office: one language each."""
    english, german = catalogues
    leaks = {}
    for email, paths in STAFF_PAGES.items():
        _as(client, email, language)
        leaks.update(_leaks(client, paths, language, english if language == "de" else german))
        client.logout()
    assert leaks == {}

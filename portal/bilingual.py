"""Content in both languages: texts kept in English and German, and the same page in the other language's tree.

Editable texts outside Wagtail pages (forum, board and category names and descriptions) carry an
English field and a ``*_de`` field; readers whose active language is German see the German text when
it is filled in, everyone else (and a German reader of an untranslated text) the English one.

Wagtail pages exist once per locale (a German and an English tree). URLs carry no language prefix:
Wagtail serves a path from the tree of the active language, so the language switch has to find the
page the member is on in the other tree (``path_in_language``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404
from django.utils import translation
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Site

GERMAN = "de"


def localized_text(english: str, german: str) -> str:
    """The German text for a German reader when there is one, else the English text."""
    if german and (translation.get_language() or "").startswith(GERMAN):
        return german
    return english


class BilingualNameMixin:
    """``localized_name`` and ``localized_description`` for models with ``name``/``name_de`` (and descriptions)."""

    @property
    def localized_name(self) -> str:
        return localized_text(self.name, getattr(self, "name_de", ""))

    @property
    def localized_description(self) -> str:
        return localized_text(getattr(self, "description", ""), getattr(self, "description_de", ""))


def _page_for_path(request, site: Site, path: str, language: str):
    """The live page (and the rest of the path it did not consume) that ``path`` shows in ``language``."""
    components = [component for component in path.split("/") if component]
    with translation.override(language):
        root = site.root_page.localized.specific
        try:
            result = root.route(request, components)
        except Http404:
            return None, ""
    page = result[0]
    page_path = page.url_path[len(root.url_path) - 1 :] if page.url_path.startswith(root.url_path) else "/"
    rest = path[len(page_path) :] if path.startswith(page_path) else ""
    return page, rest


def path_in_language(request, next_url: str, *, from_language: str, to_language: str) -> str:
    """Where the language switch sends a member who was on ``next_url``.

    A Wagtail page goes to its translation in ``to_language`` (or, when there is none, to that
    language's home page); any other URL (forums, ideas, privacy centre, account) stays as it is.
    """
    parts = urlsplit(next_url)
    site = Site.find_for_request(request)
    if site is None or parts.netloc:
        return next_url
    page, rest = _page_for_path(request, site, parts.path or "/", from_language)
    if page is None:
        return next_url
    locale = Locale.objects.filter(language_code=to_language).first()
    if locale is None:
        return next_url
    target = page.get_translation_or_none(locale)
    if target is not None and target.live:
        query = f"?{parts.query}" if parts.query else ""
        target_rest = rest
    else:
        home = site.root_page.get_translation_or_none(locale) or site.root_page
        target, query, target_rest = home, "", ""
    with translation.override(to_language):
        url = target.get_url(request=request) or "/"
    return url.rstrip("/") + "/" + target_rest.lstrip("/") + query if target_rest else url + query


def in_active_language(pages):
    """Only the pages of the active language's tree (a subquery, so no extra query; search backends accept it)."""
    language = get_supported_content_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    return pages.filter(locale__in=Locale.objects.filter(language_code=language))

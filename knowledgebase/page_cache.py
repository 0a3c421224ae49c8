"""Fast serving of knowledge base pages: one-query routing for articles, and a whole-page cache.

Routing: Wagtail resolves a URL one tree level at a time (two queries per level) and then
loads the ancestors to check view restrictions. For a GET below /kb/ this middleware finds
the live article by its URL path in one query that also says whether any view restriction
applies, and hands Wagtail the result through ``request._wagtail_route_for_request`` (the
cache ``Page.route_for_request`` reads); Wagtail's serve view and its hooks then run as usual.

Whole-page cache for anonymous visitors: a hit costs no database query.

Only visitors without a session are served from the cache (a session means a member or a
visitor who voted, whose page differs). CSRF tokens are cut out of the stored HTML and a
fresh token for the current visitor is put back on every hit, so no two visitors share one; the same
goes for the nonce of the Content-Security-Policy.
A publish or unpublish below the KB bumps a generation number: every stored page expires at once.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists
from django.http import HttpResponse
from django.middleware.csrf import get_token

PREFIX = "/kb/"
TTL_SECONDS = 10 * 60
GENERATION_KEY = "kb:page-cache:generation"
TOKEN_PLACEHOLDER = "__KB_CSRF_TOKEN__"
CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
# The Content-Security-Policy nonce is per response too (django-csp): stored as a placeholder, and the
# current request's nonce (which puts it into this response's header) is written back on every hit.
NONCE_PLACEHOLDER = "__KB_CSP_NONCE__"
NONCE_ATTRIBUTE = re.compile(r'( nonce=")[^"]*(")')
HIT_HEADER = "X-KB-Cache"


def _generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY) or 1
    return int(value)


def purge() -> None:
    """Invalidate every cached KB page (called when a KB page is published, unpublished, moved or deleted)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


def _cache_key(request) -> str:
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    digest = hashlib.sha256(request.path.encode()).hexdigest()[:32]
    return f"kb:page:{_generation()}:{language}:{digest}"


def _is_anonymous_request(request) -> bool:
    allowed = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return not (set(request.COOKIES) - allowed)


def is_cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.path.startswith(PREFIX)
        and not request.GET
        and _is_anonymous_request(request)
    )


def _ancestor_url_paths(url_path: str) -> list[str]:
    parts = [part for part in url_path.split("/") if part]
    return ["/"] + ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def prime_route(request) -> None:
    """Resolve a KB article for Wagtail's serve view in one query (restriction check included)."""
    from wagtail.models import PageViewRestriction, Site
    from wagtail.url_routing import RouteResult

    from knowledgebase.models import KBArticlePage

    if not request.path.endswith("/") or hasattr(request, "_wagtail_route_for_request"):
        return
    site = Site.find_for_request(request)
    if site is None:
        return
    # Each content language has its own tree; the path is served from the active language's one.
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    roots = [root for root in Site.get_site_root_paths() if root.site_id == site.pk]
    root_path = next((root.root_path for root in roots if root.language_code == language), None) or next(
        (root.root_path for root in roots), None
    )
    if root_path is None:
        return
    url_path = root_path.rstrip("/") + request.path
    restricted = PageViewRestriction.objects.filter(page__url_path__in=_ancestor_url_paths(url_path))
    page = (
        KBArticlePage.objects.filter(url_path=url_path, live=True, alias_of__isnull=True)
        .annotate(kb_restricted=Exists(restricted))
        .first()
    )
    if page is not None:
        request._wagtail_route_for_request = RouteResult(page)


class KBPageMiddleware:
    """Route KB articles in one query; serve /kb/ pages to visitors without a session from the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path.startswith(PREFIX):
            return self._serve(request)
        return self.get_response(request)

    def _serve(self, request):
        if not is_cacheable_request(request):
            prime_route(request)
            return self.get_response(request)
        key = _cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            content, content_type, language = stored
            content = content.replace(TOKEN_PLACEHOLDER, get_token(request))
            if NONCE_PLACEHOLDER in content:
                content = content.replace(NONCE_PLACEHOLDER, str(request.csp_nonce))
            response = HttpResponse(content, content_type=content_type)
            if language:
                response["Content-Language"] = language
            response[HIT_HEADER] = "hit"
            return response
        prime_route(request)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not (session is not None and session.modified)
            and "private" not in response.get("Cache-Control", "")
        ):
            content = CSRF_INPUT.sub(rf"\g<1>{TOKEN_PLACEHOLDER}\g<2>", response.content.decode(response.charset))
            content = NONCE_ATTRIBUTE.sub(rf"\g<1>{NONCE_PLACEHOLDER}\g<2>", content)
            cache.set(key, (content, response["Content-Type"], response.get("Content-Language", "")), TTL_SECONDS)
            response[HIT_HEADER] = "miss"
        return response

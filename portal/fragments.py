"""Rendered HTML fragments of long lists (posts, thread rows), cached under keys made of what they show.

Rendering 50 posts through the template engine is most of a thread page's time, and a
post's HTML is the same for every viewer in the same situation. So each fragment is cached
under a digest of everything it displays: the row's values, the page-wide values, the
language, the time zone and a fingerprint of the templates and translation catalogues. A
change to any of them reads another key, so nothing needs invalidating and a stale
fragment is never served; unused keys expire.

Rules for callers, which keep that promise:

- ``shared`` holds every page-wide value the template reads, as plain values
  (``str``/``int``/``bool``/``None``); anything else is refused.
- ``row_key(row)`` returns every value of the row the template reads.
- Nothing else reaches the template: it is rendered without a request or context
  processors. ``{% csrf_token %}`` renders a placeholder that is swapped for the viewer's
  token on the way out, so no viewer's token is ever stored; ``per_request`` values work
  the same way.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template import engines
from django.template.loader_tags import IncludeNode
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

FRAGMENT_SECONDS = 24 * 3600
FRAGMENT_PREFIX = "fragment:"
_PLAIN = (str, int, bool, type(None))


def render_fragments(
    template_name: str,
    rows: Sequence,
    *,
    row_name: str,
    row_key: Callable[[object], tuple],
    shared: dict[str, object],
    request,
    per_request: dict[str, Callable[[], str]] | None = None,
) -> list[SafeString]:
    """The HTML of ``template_name`` for each of ``rows`` (in order), from the cache where possible.

    Misses are rendered with ``{row_name: row, **shared}`` and stored with one ``set_many``; hits
    cost one ``get_many`` for the whole list. ``per_request`` names values that differ per request
    but must not multiply the cache entries (the CSRF token always is one; a ``next`` URL with the
    visitor's query string would be another): the template renders a placeholder for each, and the
    value, escaped, replaces it on the way out; the callable runs only when a fragment uses it.
    """
    substitutes = {"csrf_token": lambda: get_token(request), **(per_request or {})}
    placeholders = {name: _placeholder(name) for name in substitutes}
    keys = fragment_keys(template_name, rows, row_key=row_key, shared=shared)
    found = cache.get_many(keys) if keys else {}
    missing = {}
    if len(found) < len(keys):
        template = engines["django"].get_template(template_name)
        for key, row in zip(keys, rows, strict=True):
            if key not in found and key not in missing:
                missing[key] = template.render({row_name: row, **placeholders, **shared})
        cache.set_many(missing, FRAGMENT_SECONDS)
        found.update(missing)
    values: dict[str, str] = {}
    out = []
    for key in keys:
        html = found[key]
        for name, placeholder in placeholders.items():
            if placeholder in html:
                if name not in values:
                    values[name] = escape(substitutes[name]())
                html = html.replace(placeholder, values[name])
        out.append(mark_safe(html))  # noqa: S308 (rendered by the template engine; substitutes are escaped)
    return out


def fragment_keys(template_name: str, rows: Sequence, *, row_key: Callable, shared: dict[str, object]) -> list[str]:
    """The cache key of each row's fragment in the active language and time zone."""
    for name, value in shared.items():
        if not isinstance(value, _PLAIN):
            raise TypeError(f"fragment value {name!r} must be a plain value, not {type(value).__name__}")
    page_part = (
        template_name,
        _fingerprint(template_name),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        tuple(sorted(shared.items())),
    )
    return [
        FRAGMENT_PREFIX + hashlib.blake2b(repr((page_part, row_key(row))).encode(), digest_size=20).hexdigest()
        for row in rows
    ]


def fragments_purge() -> int:
    """Delete every cached fragment now; returns how many went (-1: the whole cache was cleared).

    Keys are digests of what a fragment shows, so a changed row never reads a stale fragment, but the
    old entry stays in the cache until it expires. Erasure and retention must not leave a copy there:
    they call this. Redis and the local-memory cache delete just the fragments; another backend is
    cleared as a whole (rare: erasures and retention runs, and the next page view renders again).
    """
    pattern = cache.make_key(FRAGMENT_PREFIX)
    store = getattr(cache, "_cache", None)
    client_of = getattr(store, "get_client", None)
    if client_of is not None:  # django.core.cache.backends.redis (and subclasses)
        try:
            client = client_of(None, write=True)
            keys = list(client.scan_iter(match=pattern + "*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
        except Exception:  # noqa: BLE001  (Redis down: the erasure or retention run has committed and stands)
            logger.error("cached fragments could not be purged: the cache is unreachable", exc_info=True)
            return 0
        return len(keys)
    if isinstance(store, dict):  # LocMemCache: an OrderedDict of made keys
        lock = cache._lock
        with lock:
            keys = [key for key in store if key.startswith(pattern)]
            for key in keys:
                store.pop(key, None)
                getattr(cache, "_expire_info", {}).pop(key, None)
        return len(keys)
    cache.clear()
    return -1


@functools.cache
def _placeholder(name: str) -> str:
    """A marker nobody can guess (derived from the secret key), so user text can never contain it."""
    return f"fragment-{name}-" + salted_hmac("portal.fragments.placeholder", name).hexdigest()[:40]


@functools.cache
def _fingerprint(template_name: str) -> str:
    """A digest of the template, the templates it includes and the translation catalogues.

    A deploy that changes any of them changes every key, so old fragments are never shown.
    """
    digest = hashlib.blake2b(digest_size=16)
    for source in _template_sources(template_name, seen=set()):
        digest.update(source.encode())
    for catalogue in sorted(_catalogue_paths()):
        digest.update(str(catalogue).encode())
        digest.update(catalogue.read_bytes())
    return digest.hexdigest()


def _template_sources(template_name: str, *, seen: set[str]) -> list[str]:
    if template_name in seen:
        return []
    seen.add(template_name)
    template = engines["django"].get_template(template_name).template
    sources = [template.source]
    for node in template.nodelist.get_nodes_by_type(IncludeNode):
        included = node.template.var
        if not isinstance(included, str):
            raise ValueError(f"{template_name}: fragments may only include templates named literally")
        sources += _template_sources(included, seen=seen)
    return sources


def _catalogue_paths() -> list[Path]:
    """The compiled catalogues of the project's own apps (``LOCALE_PATHS`` and each app's ``locale``)."""
    base = Path(settings.BASE_DIR).resolve()
    roots = {Path(p).resolve() for p in settings.LOCALE_PATHS}
    roots |= {Path(app.path).resolve() / "locale" for app in apps.get_app_configs()}
    return [
        mo
        for root in roots
        if root.is_relative_to(base) and "site-packages" not in root.parts
        for mo in root.glob("*/LC_MESSAGES/*.mo")
    ]

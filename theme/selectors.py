"""The brand of the site a request is for, cached so pages do not pay for it on every request."""

from __future__ import annotations

from django.core.cache import cache
from wagtail.models import Site

from theme.models import BrandSettings

CACHE_SECONDS = 300
_VERSION_KEY = "theme:brand:version"


def brand_cache_clear() -> None:
    """Invalidate every cached brand (called when a brand is saved)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)


def brand_for_request(request) -> BrandSettings:
    """BrandSettings for the request's site: 0 queries on a cache hit, defaults when no site exists."""
    version = cache.get_or_set(_VERSION_KEY, 1, timeout=None)
    key = f"theme:brand:{version}:{request.get_host()}"
    brand = cache.get(key)
    if brand is None:
        site = Site.find_for_request(request)
        brand = (
            BrandSettings.objects.select_related("logo").filter(site=site).first() if site else None
        ) or BrandSettings(site=site)
        cache.set(key, brand, CACHE_SECONDS)
    return brand

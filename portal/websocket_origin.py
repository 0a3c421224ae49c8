"""Which pages may open the portal's WebSockets: its own origin, compared by scheme, host and port."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
WEB_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def origin_tuple(value: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an origin or URL, default ports filled in; None when it is not one."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    scheme = WEB_SCHEMES.get(parts.scheme)
    if scheme is None or not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def configured_origins() -> set[tuple[str, str, int]]:
    """The portal's public origin (PORTAL_BASE_URL) and the trusted origins in front of it (CSRF_TRUSTED_ORIGINS)."""
    found = {origin_tuple(value) for value in [settings.PORTAL_BASE_URL, *settings.CSRF_TRUSTED_ORIGINS]}
    return {origin for origin in found if origin is not None}


def _headers(scope) -> dict[bytes, str]:
    return {name.lower(): value.decode("latin1") for name, value in scope.get("headers", [])}


def connection_scheme(scope, headers: dict[bytes, str]) -> str:
    """The scheme the browser used: from the trusted proxy's header, else the server's scope.

    Daphne's WebSocket scope carries no scheme; without a proxy header the socket is plain ``ws``
    (a TLS-terminating server in front sends X-Forwarded-Proto, and its public origin is PORTAL_BASE_URL).
    """
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        if header in headers:
            return "https" if headers[header].split(",")[0].strip() == secure_value else "http"
    return WEB_SCHEMES.get(scope.get("scheme", ""), "http")


def origin_allowed(scope) -> bool:
    """The page's Origin is the portal's own: a configured origin, or exactly the scheme, host and port the
    browser connected to (a host in ALLOWED_HOSTS). Another port on the same host is another origin."""
    headers = _headers(scope)
    origin = origin_tuple(headers.get(b"origin", ""))
    if origin is None:
        return False
    if origin in configured_origins():
        return True
    host, port = split_domain_port(headers.get(b"host", ""))
    allowed_hosts = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if not host or not validate_host(host, allowed_hosts):
        return False
    scheme = connection_scheme(scope, headers)
    try:
        own_port = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return origin == (scheme, host.strip("[]"), own_port)


class SameOriginValidator:
    """ASGI middleware: refuses a WebSocket handshake whose Origin is not the portal's own (scheme+host+port).

    Channels' AllowedHostsOriginValidator compares the host name only, so a page on another port of
    the same host (another local service, a dev server) could open sockets with the member's cookies.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

"""The client's network address, as every rate limit and the login throttle see it."""

from __future__ import annotations


def client_ip(request) -> str:
    """The address the request came from.

    Behind the TLS proxy Daphne runs with ``--proxy-headers`` (Dockerfile, docker-compose.yml): it takes
    the client address from the proxy's ``X-Forwarded-For`` and puts it in ``REMOTE_ADDR``, so the
    header is read once, by the server that knows the proxy, and a client cannot forge it here.
    """
    return request.META.get("REMOTE_ADDR", "")

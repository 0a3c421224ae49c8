"""The one interface every CRM adapter implements, and the outcomes the outbox understands."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime

import httpx
from django.conf import settings
from django.utils import timezone

# Connect fast, read within a bound: a slow CRM fails the attempt instead of blocking the worker.
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True)
class RemoteRef:
    """Where the task lives in the CRM."""

    id: str
    url: str = ""


@dataclass(frozen=True)
class StatusEvent:
    """The CRM's word on a task, mapped: ``done`` marks the card processed."""

    key: str
    status: str
    done: bool
    remote_id: str = ""


class DeliveryError(Exception):
    """The CRM did not take the message."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryError(DeliveryError):
    """Timeout, connection failure, 5xx or 429: try again later."""

    retryable = True


class PermanentError(DeliveryError):
    """Any other 4xx, or an answer that will not change: dead at once."""


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def raise_for_status(response: httpx.Response, *, what: str) -> None:
    """Map an HTTP answer to the outbox's retry rules."""
    code = response.status_code
    if code < 300:
        return
    detail = f"{what}: HTTP {code} {response.text[:300]}"
    if code == 429 or code >= 500:
        raise TemporaryError(detail, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    raise PermanentError(detail)


def request_timeout() -> httpx.Timeout:
    """``settings.CRM_HTTP_TIMEOUT`` (seconds) when set, else ten seconds with a three-second connect."""
    seconds = settings.CRM_HTTP_TIMEOUT
    return httpx.Timeout(float(seconds)) if seconds else TIMEOUT


def send(
    client: httpx.Client, method: str, url: str, *, what: str, timeout: httpx.Timeout | None = None, **kwargs
) -> httpx.Response:
    """One HTTP call where transport failures count as temporary (``timeout``: the CRM's unless given)."""
    try:
        return client.request(method, url, timeout=timeout or request_timeout(), **kwargs)
    except httpx.TimeoutException as exc:
        raise TemporaryError(f"{what}: timeout ({exc.__class__.__name__})") from exc
    except httpx.TransportError as exc:
        raise TemporaryError(f"{what}: {exc.__class__.__name__}") from exc


class Adapter:
    """One CRM: push a card as a task, take the identity back out, read the CRM's status."""

    def __init__(self, connection, *, client: httpx.Client | None = None):
        self.connection = connection
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def upsert_task(self, card, payload: dict) -> RemoteRef:
        """Create or update the card's task; sending the same key twice leaves one task."""
        raise NotImplementedError

    def redact(self, card, payload: dict) -> RemoteRef:
        """Replace the member's identity on the card's task with the pseudonym in ``payload``."""
        raise NotImplementedError

    @staticmethod
    def author_email(payload: dict) -> str:
        """The member's e-mail, present only when consent was live at send time."""
        return (payload.get("author") or {}).get("email", "")

    def parse_status_event(self, request) -> StatusEvent | None:
        """Verify an inbound webhook and map it; None for events that are not about a card."""
        raise NotImplementedError

    def fetch_changes(self, since: datetime | None) -> list[StatusEvent]:
        """Poll the CRM for tasks changed since ``since``."""
        return []

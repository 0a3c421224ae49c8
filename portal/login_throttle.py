"""Login throttling on top of django-axes: per (client address, account) and per client address, growing cool-offs.

A wrong password counts against two budgets: the pair of the client address and the account
(``LOGIN_FAILURE_LIMIT``) and the client address across all accounts (``LOGIN_ADDRESS_FAILURE_LIMIT``,
password spraying). Running out of either refuses that address, never the account from elsewhere,
so an attacker cannot lock the owner out. Each failure past a limit doubles the cool-off
(``LOGIN_LOCKOUT_SECONDS`` up to ``LOGIN_LOCKOUT_MAX_SECONDS``). A completed password reset proves
the owner holds the mailbox and unlocks the account from every address (``account_unlock``).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.shortcuts import render
from django.utils import timezone

from portal.client_address import client_ip


def account_key(email: str) -> str:
    """What failure records keep for the account an attempt names: the address's blind index, never the address.

    The same keyed hash the member table looks addresses up by (``User.email_index``), so a lock is
    shown with its account's handle and a dump of the failure records holds no address in clear.
    """
    from portal.encrypted_fields import blind_index
    from portal.models import User

    return blind_index(User, "email", str(email).replace("\x00", "").strip().lower()[:254])


def attempted_username(request, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the account an attempt names, as its ``account_key``."""
    if credentials and credentials.get("username") is not None:
        value = credentials["username"]
    else:
        value = request.POST.get("username", "") if request is not None else ""
    return account_key(value)


VERIFIED_COOKIE = "login_verified"
VERIFIED_SALT = "portal.login_throttle.verified"


def failure_limit(request=None, credentials: dict | None = None) -> int:
    """AXES_FAILURE_LIMIT, read when used so a changed setting takes effect."""
    return settings.LOGIN_FAILURE_LIMIT


def owner_verified(request, credentials: dict | None) -> bool:
    """AXES_WHITELIST_CALLABLE: this browser completed a password reset for the account it names now."""
    if request is None:
        return False
    verified = request.get_signed_cookie(
        VERIFIED_COOKIE, default="", salt=VERIFIED_SALT, max_age=settings.LOGIN_LOCKOUT_MAX_SECONDS
    )
    return bool(verified) and verified == attempted_username(request, credentials)


def mark_owner_verified(response, *, email: str, secure: bool) -> None:
    """Let this browser past the throttle for ``email`` (it proved the mailbox by completing a reset)."""
    response.set_signed_cookie(
        VERIFIED_COOKIE,
        account_key(email),
        salt=VERIFIED_SALT,
        max_age=settings.LOGIN_LOCKOUT_MAX_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def live_attempts():
    """Failure records whose cool-off has not ended yet."""
    return AccessAttempt.objects.filter(expiration__expires_at__gt=timezone.now())


@dataclass(frozen=True)
class FailureCounts:
    """Failures still counting for one attempt: for its (address, account) pair and for its address."""

    pair: int
    address: int

    @property
    def locked(self) -> bool:
        return self.pair >= settings.LOGIN_FAILURE_LIMIT or self.address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT

    @property
    def excess(self) -> int:
        """Failures beyond the limit that was reached (0 at the failure that locks)."""
        return max(
            0,
            self.pair - settings.LOGIN_FAILURE_LIMIT,
            self.address - settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        )


def failure_counts(request, credentials: dict | None = None) -> FailureCounts:
    address = getattr(request, "axes_ip_address", None) or client_ip(request) or None
    username = get_client_username(request, credentials)
    totals = (
        live_attempts()
        .filter(ip_address=address)
        .aggregate(address=Sum("failures_since_start"), pair=Sum("failures_since_start", filter=Q(username=username)))
    )
    return FailureCounts(pair=totals["pair"] or 0, address=totals["address"] or 0)


def cool_off_for(counts: FailureCounts) -> timedelta:
    """``LOGIN_LOCKOUT_SECONDS``, doubled for each failure past the limit, capped at ``LOGIN_LOCKOUT_MAX_SECONDS``."""
    seconds = settings.LOGIN_LOCKOUT_SECONDS * 2 ** min(counts.excess, 32)
    return timedelta(seconds=min(seconds, settings.LOGIN_LOCKOUT_MAX_SECONDS))


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: how long a failure recorded now keeps counting."""
    if request is None:
        return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    return cool_off_for(failure_counts(request, getattr(request, "axes_credentials", None)))


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with the two budgets above; a failure counts until its own cool-off ends."""

    def get_user_attempts(self, request, credentials=None):
        now = timezone.now()
        return [
            attempts.filter(expiration__expires_at__gt=now)
            for attempts in self.filter_user_attempts(request, credentials)
        ]

    def get_failures(self, request, credentials=None) -> int:
        # Axes compares one number with AXES_FAILURE_LIMIT (= LOGIN_FAILURE_LIMIT): an address over its
        # own budget reports at least that limit, whatever the account.
        counts = failure_counts(request, credentials)
        return max(counts.pair, settings.LOGIN_FAILURE_LIMIT) if counts.locked else counts.pair


def locked_until(request, credentials: dict | None = None) -> datetime | None:
    """When the lock on this request's (address, account) pair or address ends; None when it is not locked."""
    if not failure_counts(request, credentials).locked:
        return None
    address = getattr(request, "axes_ip_address", None) or client_ip(request) or None
    return live_attempts().filter(ip_address=address).aggregate(until=Max("expiration__expires_at"))["until"]


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """AXES_LOCKOUT_CALLABLE: the lockout page (429), with the way out through a password reset."""
    until = locked_until(request, credentials)
    remaining = (until - timezone.now()).total_seconds() if until else settings.LOGIN_LOCKOUT_SECONDS
    context = {"minutes": max(1, math.ceil(remaining / 60))}
    return render(request, "registration/login_locked.html", context, status=429)


def account_unlock(*, email: str) -> int:
    """End every lock and failure count of the account (after its owner proved the mailbox); returns records removed."""
    deleted, _ = AccessAttempt.objects.filter(username=account_key(email)).delete()
    return deleted


@dataclass(frozen=True)
class Lockout:
    """A lock in force: an address over its budget (``username`` empty) or an (address, account) pair over its own."""

    ip_address: str
    username: str  # the account_key (blind index) of the address the attempts named
    failures: int
    until: datetime
    account: str = ""  # the handle of the account behind ``username``; empty when no account has that address


def lockouts_current() -> list[Lockout]:
    """The locks refusing logins now, newest end first (few rows: records expire with their cool-off)."""
    live = live_attempts()
    pairs = (
        live.values("ip_address", "username")
        .annotate(failures=Sum("failures_since_start"), until=Max("expiration__expires_at"))
        .filter(failures__gte=settings.LOGIN_FAILURE_LIMIT)
    )
    addresses = (
        live.values("ip_address")
        .annotate(failures=Sum("failures_since_start"), until=Max("expiration__expires_at"))
        .filter(failures__gte=settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    )
    found = [
        Lockout(ip_address=row["ip_address"] or "", username="", failures=row["failures"], until=row["until"])
        for row in addresses
    ]
    found += [
        Lockout(
            ip_address=row["ip_address"] or "",
            username=row["username"] or "",
            failures=row["failures"],
            until=row["until"],
        )
        for row in pairs
    ]
    from portal.models import User

    handles = dict(
        User.objects.filter(email_index__in={lock.username for lock in found if lock.username}).values_list(
            "email_index", "handle"
        )
    )
    found = [replace(lock, account=handles.get(lock.username, "")) for lock in found]
    return sorted(found, key=lambda lock: lock.until, reverse=True)


def lockout_lift(*, ip_address: str, username: str = "") -> int:
    """Staff lift a lock from the back office: the pair's records, or every record of the address."""
    try:
        ip_address = str(ipaddress.ip_address(ip_address))
    except ValueError:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    username = username.replace("\x00", "")
    if username:
        attempts = attempts.filter(username=username)
    deleted, _ = attempts.delete()
    return deleted

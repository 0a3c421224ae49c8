"""Deadline arithmetic and the state machine of access requests (GDPR Art. 12(3)).

Pure functions, no database: services call them before they write, tests freeze time around them.
"""

from __future__ import annotations

import calendar
from datetime import date

from consent.dsar.models import RequestState

S = RequestState
OPEN = (S.RECEIVED, S.IDENTITY_UNVERIFIED, S.VERIFIED, S.IN_PROGRESS)
# Rejection (e.g. identity not proven, manifestly unfounded) and withdrawal by the member end any open request;
# completion needs the work to have started.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.IDENTITY_UNVERIFIED, S.REJECTED, S.WITHDRAWN}),
    S.IDENTITY_UNVERIFIED: frozenset({S.VERIFIED, S.REJECTED, S.WITHDRAWN}),
    S.VERIFIED: frozenset({S.IN_PROGRESS, S.REJECTED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.REJECTED, S.WITHDRAWN}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
MAX_EXTENSION_MONTHS = 2
WARN_DAYS = 7


class InvalidTransition(ValueError):
    """A state change the request lifecycle does not allow."""


def check_transition(current: str, new: str) -> None:
    """Raise unless ``current`` -> ``new`` is an edge of the lifecycle."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"an access request cannot go from {current!r} to {new!r}")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received: date) -> date:
    """One calendar month after receipt (31 Jan -> 28/29 Feb)."""
    return add_months(received, 1)


def extended_due_date(received: date, months: int) -> date:
    """The deadline after an extension by ``months`` (1 or 2) further months, counted from receipt."""
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValueError("an extension is one or two months")
    return add_months(received, 1 + months)


def urgency(days_left: int) -> str:
    """The console's flag: overdue, due within a week, or on time."""
    if days_left < 0:
        return "overdue"
    if days_left <= WARN_DAYS:
        return "due_soon"
    return "ok"

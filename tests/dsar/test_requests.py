"""Deadline arithmetic, the request state machine and the extension rule."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from consent.dsar import services
from consent.dsar.models import AccessRequest, RequestEvent, RequestKind, RequestState
from consent.dsar.requests import (
    TRANSITIONS,
    InvalidTransition,
    check_transition,
    due_date,
    extended_due_date,
    urgency,
)
from portal.models import Notification

BERLIN = ZoneInfo("Europe/Berlin")
S = RequestState


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2026, 1, 29), date(2026, 2, 28)),
        (date(2026, 1, 28), date(2026, 2, 28)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 8, 31), date(2026, 9, 30)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2028, 2, 29), date(2028, 3, 29)),
        (date(2026, 2, 28), date(2026, 3, 28)),
        (date(2100, 1, 31), date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 1, 31), date(2000, 2, 29)),  # 2000 is
    ],
)
def test_due_date_is_one_calendar_month_clamped_at_month_end(received, due):
    """Due = received + one calendar month; a day missing in the next month clamps to its last day."""
    assert due_date(received) == due


def test_due_date_never_exceeds_one_month_for_every_day_of_four_years():
    """For every day of 2025-2028 the due date is in the following month and never before the same day number."""
    day = date(2025, 1, 1)
    while day.year < 2029:
        due = due_date(day)
        assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == 1
        assert due.day == day.day or (due.day < day.day and (due + timedelta(days=1)).day == 1)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (date(2026, 1, 31), 1, date(2026, 3, 31)),
        (date(2026, 1, 31), 2, date(2026, 4, 30)),
        (date(2027, 12, 31), 2, date(2028, 3, 31)),
        (date(2027, 11, 30), 2, date(2028, 2, 29)),
        (date(2026, 11, 30), 2, date(2027, 2, 28)),
    ],
)
def test_extended_due_date_counts_from_receipt(received, months, due):
    """An extension adds one or two further calendar months to the receipt date, clamped."""
    assert extended_due_date(received, months) == due


@pytest.mark.parametrize("months", [0, 3, -1])
def test_extension_beyond_two_months_is_impossible(months):
    """Only one or two months of extension exist."""
    with pytest.raises(ValueError):
        extended_due_date(date(2026, 1, 1), months)


ALLOWED = {
    (S.RECEIVED, S.IDENTITY_UNVERIFIED),
    (S.IDENTITY_UNVERIFIED, S.VERIFIED),
    (S.VERIFIED, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.COMPLETED),
    *((state, S.REJECTED) for state in (S.RECEIVED, S.IDENTITY_UNVERIFIED, S.VERIFIED, S.IN_PROGRESS)),
    *((state, S.WITHDRAWN) for state in (S.RECEIVED, S.IDENTITY_UNVERIFIED, S.VERIFIED, S.IN_PROGRESS)),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(S.values, S.values)))
def test_every_pair_of_states_is_allowed_only_along_the_lifecycle(current, new):
    """All 49 pairs: the lifecycle edges pass, every other transition raises."""
    if (current, new) in ALLOWED:
        check_transition(current, new)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, new)


def test_closed_states_are_final():
    """Completed, rejected and withdrawn requests cannot move anywhere."""
    assert TRANSITIONS[S.COMPLETED] == TRANSITIONS[S.REJECTED] == TRANSITIONS[S.WITHDRAWN] == frozenset()


@pytest.mark.parametrize(
    ("days", "flag"), [(-1, "overdue"), (-30, "overdue"), (0, "due_soon"), (7, "due_soon"), (8, "ok")]
)
def test_urgency_flags_seven_days_or_less_and_overdue(days, flag):
    """The console flags requests at 7 days or less and overdue ones."""
    assert urgency(days) == flag


def _at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=BERLIN)


def test_member_request_is_verified_at_once_and_due_in_a_month(customer):
    """A signed-in member's request passes identity checks at once; due 31 Jan -> 28 Feb."""
    with time_machine.travel(_at(2026, 1, 31), tick=False):
        request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    assert request.state == S.VERIFIED
    assert request.due_on == date(2026, 2, 28)
    assert list(RequestEvent.objects.filter(request=request).values_list("from_state", "to_state")) == [
        ("", S.RECEIVED),
        (S.RECEIVED, S.IDENTITY_UNVERIFIED),
        (S.IDENTITY_UNVERIFIED, S.VERIFIED),
    ]


def test_received_late_evening_counts_in_local_time(customer):
    """23:30 in Berlin on 31 Jan is still 31 Jan (22:30 UTC): due on 28 Feb 2026."""
    with time_machine.travel(datetime(2026, 1, 31, 23, 30, tzinfo=BERLIN), tick=False):
        request = services.request_create(member=customer, kind=RequestKind.ERASURE, actor=customer)
    assert request.due_on == date(2026, 2, 28)


def test_leap_year_request_due_on_29_february(customer):
    """A request of 31 Jan 2028 is due on 29 Feb 2028."""
    with time_machine.travel(_at(2028, 1, 31), tick=False):
        request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    assert request.due_on == date(2028, 2, 29)


def test_dpo_request_waits_for_identity(customer, dpo):
    """A request by letter starts received, and nobody can start work before the identity is verified."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=dpo, channel="letter")
    assert request.state == S.RECEIVED
    with pytest.raises(InvalidTransition):
        services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)
    assert AccessRequest.objects.get(pk=request.pk).state == S.RECEIVED


def test_customer_cannot_enter_a_request_for_someone_else(customer, other_customer):
    """Only the DPO records requests on a member's behalf."""
    with pytest.raises(PermissionDenied):
        services.request_create(member=other_customer, kind=RequestKind.ACCESS, actor=customer)
    assert AccessRequest.objects.count() == 0


def test_extension_before_due_date_with_reason_notifies_the_member(customer, dpo):
    """One extension of two months, with a reason, sets the new deadline and notifies the member first."""
    with time_machine.travel(_at(2026, 1, 31), tick=False):
        request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    with time_machine.travel(_at(2026, 2, 28, 10), tick=False):
        services.request_extend(request=request, actor=dpo, months=2, reason="Very large data volume to review.")
    request.refresh_from_db()
    assert request.extended_due_on == date(2026, 4, 30)
    assert request.extension_reason == "Very large data volume to review."
    assert request.extension_notice_at == _at(2026, 2, 28, 10)
    assert request.deadline == date(2026, 4, 30)
    notice = Notification.objects.filter(recipient=customer, kind="privacy_request").first()
    assert notice.title == "We need more time for your request"
    assert list(request.events.values_list("action", flat=True))[-2:] == ["extended", "member_notified"]


def test_extension_after_the_original_due_date_is_refused(customer, dpo):
    """After the original due date has passed no extension is possible; nothing changes."""
    with time_machine.travel(_at(2026, 1, 31), tick=False):
        request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    with time_machine.travel(_at(2026, 3, 1), tick=False), pytest.raises(ValidationError) as caught:
        services.request_extend(request=request, actor=dpo, months=1, reason="We forgot about it entirely.")
    assert caught.value.code == "late"
    request.refresh_from_db()
    assert request.extended_due_on is None
    assert request.extension_notice_at is None


def test_second_extension_is_refused(customer, dpo):
    """Only one extension per request."""
    with time_machine.travel(_at(2026, 1, 10), tick=False):
        request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
        services.request_extend(request=request, actor=dpo, months=1, reason="Complex request, many systems.")
        with pytest.raises(ValidationError) as caught:
            services.request_extend(request=request, actor=dpo, months=1, reason="Still more time needed here.")
    assert caught.value.code == "twice"
    request.refresh_from_db()
    assert request.extended_due_on == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("months", "reason", "code"), [(1, "short", "reason"), (3, "A perfectly fine reason.", "months")]
)
def test_extension_needs_a_reason_and_at_most_two_months(customer, dpo, months, reason, code):
    """No extension without a written reason or beyond two months."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    with pytest.raises(ValidationError) as caught:
        services.request_extend(request=request, actor=dpo, months=months, reason=reason)
    assert caught.value.code == code
    request.refresh_from_db()
    assert request.extended_due_on is None


def test_member_cannot_extend(customer):
    """Extending is the DPO's call."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    with pytest.raises(PermissionDenied):
        services.request_extend(request=request, actor=customer, months=1, reason="I want it later please.")
    request.refresh_from_db()
    assert request.extended_due_on is None


def test_full_lifecycle_to_completed_notifies_member(customer, dpo):
    """verified -> in_progress -> completed closes the request and tells the member."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)
    services.request_transition(request=request, to=S.COMPLETED, actor=dpo, note="Sent the export.")
    request.refresh_from_db()
    assert request.state == S.COMPLETED
    assert request.closed_at is not None
    assert [n.title for n in Notification.objects.filter(recipient=customer, message="dsar.completed")] == [
        "Your request was completed"
    ]
    with pytest.raises(InvalidTransition):
        services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)

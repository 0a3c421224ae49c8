"""The demo gives the DPO console three open requests of customer2, once, counted from their arrival."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.dsar.demo import seed
from consent.dsar.models import AccessRequest, RequestState
from consent.dsar.requests import due_date
from portal.demo import seed as seed_portal

pytestmark = pytest.mark.django_db


def test_demo_requests_are_created_once_with_their_arrival_dates():
    """Seeding twice leaves three requests; each is due one month after the day the letter or e-mail arrived."""
    seed_portal(stdout=None)
    assert seed(stdout=None) == []
    seed(stdout=None)
    rows = list(AccessRequest.objects.order_by("received_at"))
    assert [(r.kind, r.channel, r.state) for r in rows] == [
        ("objection", "email", RequestState.RECEIVED),
        ("access", "letter", RequestState.RECEIVED),
        ("rectification", "email", RequestState.RECEIVED),
    ]
    today = timezone.localdate()
    for row, days in zip(rows, (35, 26, 3), strict=True):
        assert row.due_on == due_date(timezone.localdate(timezone.now() - timedelta(days=days)))
    assert rows[0].days_left(today) < 0

"""The demo customer has a consent history once, however often the demo is seeded."""

import pytest

from consent.demo import seed
from consent.ledger import verify
from consent.models import ConsentEvent, ConsentState, MemberConsent
from consent.selectors import history_for
from portal.demo import seed as seed_portal
from portal.models import User

pytestmark = pytest.mark.django_db


def test_demo_history_is_created_once():
    seed_portal(stdout=None)
    seed(stdout=None)
    seed(stdout=None)
    customer = User.objects.with_email("customer@example.com").get()
    assert [(e.purpose_code, e.kind) for e in history_for(user=customer)] == [
        ("crm_followup", "withdraw"),
        ("crm_followup", "grant"),
        ("analytics", "grant"),
    ]
    assert dict(MemberConsent.objects.filter(user=customer).values_list("purpose__code", "state")) == {
        "analytics": ConsentState.GRANTED,
        "crm_followup": ConsentState.WITHDRAWN,
    }
    assert ConsentEvent.objects.count() == 3 and verify().ok

"""Concurrent appends keep the ledger gap-free and the chain intact (threads on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from consent import services
from consent.ledger import verify
from consent.models import ConsentEvent, ConsentState, LedgerHead, MemberConsent
from portal.models import User
from tests.factories import make_member

WRITERS = 4
EACH = 8


def _toggle(user_id: int, errors: list, barrier: threading.Barrier | None) -> None:
    try:
        user = User.objects.get(pk=user_id)
        if barrier is not None:
            barrier.wait(timeout=30)
        for k in range(EACH):
            services.consent_set(user=user, purpose="crm_followup", granted=k % 2 == 0)
    except Exception as exc:  # reported by the main thread
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_gap_free_indexes():
    """On PostgreSQL four threads append at once (row lock on the ledger head); SQLite runs them one after another."""
    members = [make_member() for _ in range(WRITERS)]
    errors: list = []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(WRITERS)
        threads = [threading.Thread(target=_toggle, args=(m.pk, errors, barrier)) for m in members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
    else:
        for member in members:
            _toggle(member.pk, errors, None)
    assert errors == []
    total = WRITERS * EACH
    assert sorted(ConsentEvent.objects.values_list("index", flat=True)) == list(range(total))
    assert LedgerHead.objects.get(pk=1).size == total
    result = verify()
    assert result.ok, result.problem
    assert result.size == total
    # every member's last action was a withdrawal (EACH is even)
    assert sorted(MemberConsent.objects.values_list("state", flat=True)) == [ConsentState.WITHDRAWN] * WRITERS

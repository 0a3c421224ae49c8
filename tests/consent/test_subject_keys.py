"""Destroying a member's subject key unlinks their ledger entries, which stay verifiable."""

import pytest

from consent.ledger import verify
from consent.models import ConsentEvent, SubjectKey
from consent.receipts import receipt_for, verify_receipt
from consent.selectors import history_for
from consent.subjects import subject_for, subject_key_destroy

pytestmark = pytest.mark.django_db


def test_the_key_is_stored_only_wrapped(customer_with_history):
    row = SubjectKey.objects.get(user=customer_with_history)
    assert len(bytes(row.wrapped_key)) == 12 + 32 + 16  # nonce, key, GCM tag
    assert subject_for(customer_with_history).ref == ConsentEvent.objects.get(index=0).subject


def test_destroying_the_key_unlinks_history_but_keeps_the_ledger_valid(customer_with_history, other_customer):
    token = receipt_for(ConsentEvent.objects.get(index=1))
    old_ref = subject_for(customer_with_history).ref
    assert subject_key_destroy(user=customer_with_history) == 1
    assert history_for(user=customer_with_history) == []
    assert subject_for(customer_with_history, create=False) is None
    assert subject_for(customer_with_history).ref != old_ref  # a new key starts a new, unlinked history
    assert verify().ok
    assert verify_receipt(token).valid
    assert ConsentEvent.objects.filter(subject=old_ref).count() == 3

"""Faults found walking the privacy back office (issue 19): codes shown to people instead of words."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from consent.dsar import services
from consent.dsar.models import RequestKind, RequestState
from consent.services import audit_record

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_request_history_names_steps_and_states_in_words(client, customer, dpo):
    """The history reads "State changed: received → identity not verified yet", not "transition: received → identity_unverified"."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=dpo, channel="letter")
    services.request_assign(request=request, actor=dpo, assignee=dpo)
    services.request_transition(request=request, to=RequestState.IDENTITY_UNVERIFIED, actor=dpo)
    services.request_extend(request=request, actor=dpo, months=1, reason="Complex request")
    client.force_login(dpo)
    text = _text(client.get(reverse("dsar_admin:detail", args=[request.pk])).content.decode())
    assert "State changed: received → identity not verified yet" in text
    assert "Request received" in text and "Assigned" in text and "Member notified" in text
    for code in ("transition", "identity_unverified", "member_notified", "assigned:"):
        assert code not in text, code


def test_the_audit_log_names_actions_in_words(client, customer, dpo):
    """The staff audit log shows "Downloaded a data export", "Erased a member's data", not the action codes."""
    for action in ("export_download", "erase", "verify_ledger"):
        audit_record(actor=dpo, subject=customer, action=action, target="t")
    client.force_login(dpo)
    text = _text(client.get(reverse("consent_admin:audit")).content.decode())
    assert "Downloaded a data export" in text
    assert "Erased a member's data" in text or "Erased a member&#x27;s data" in text
    assert "Verified the consent ledger" in text
    for code in ("export_download", "verify_ledger", " erase "):
        assert code not in text, code


def test_the_audit_log_shows_every_registered_action(client, customer, dpo):
    """Every action code any app registers renders in the staff audit log, in words (found as a 500 on the demo)."""
    from consent.models import AUDIT_ACTION_STAFF_LABELS, AUDIT_ACTIONS

    for action in AUDIT_ACTIONS:
        audit_record(actor=dpo, subject=customer, action=action, target="t")
    client.force_login(dpo)
    response = client.get(reverse("consent_admin:audit"))
    assert response.status_code == 200
    text = _text(response.content.decode())
    for action, label in AUDIT_ACTIONS.items():
        expected = str(AUDIT_ACTION_STAFF_LABELS.get(action) or label)
        assert expected.replace("'", "&#x27;") in text or expected in text, action

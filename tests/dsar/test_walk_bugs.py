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


def test_the_privacy_centre_offers_a_copy_of_all_data_in_good_german(client, customer):
    """German reads "Eine Kopie aller Ihrer Daten erhalten" (not "all Ihrer Daten")."""
    customer.preferred_language = "de"
    customer.save(update_fields=["preferred_language"])
    client.force_login(customer)
    text = _text(client.get(reverse("consent:centre")).content.decode())
    assert "Eine Kopie aller Ihrer Daten erhalten" in text
    assert "all Ihrer" not in text


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


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_each_step_of_a_request_is_confirmed_and_assign_to_me_leaves_once_assigned(client, customer, dpo):
    """Assign, start and complete each say what happened; "Assign to me" is not offered to the assignee."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    url = reverse("dsar_admin:detail", args=[request.pk])
    client.force_login(dpo)
    assert 'value="assign"' in client.get(url).content.decode()
    response = client.post(url, {"action": "assign"}, follow=True)
    assert _messages(response) == ["The request is assigned to you."]
    assert 'value="assign"' not in response.content.decode()
    response = client.post(url, {"action": "start"}, follow=True)
    assert _messages(response) == ["Work on the request has started."]
    response = client.post(url, {"action": "complete", "note": "Sent."}, follow=True)
    assert _messages(response) == ["The request is completed and the member was told."]
    request.refresh_from_db()
    assert (request.state, request.assignee) == (RequestState.COMPLETED, dpo)


def test_an_erasure_by_retention_completes_the_member_erasure_request_in_work(customer, dpo):
    """An erasure request in work does not stay "in progress" once the member's data was erased another way."""
    from consent.dsar.services.erasure import member_erase_by_retention

    request = services.request_create(member=customer, kind=RequestKind.ERASURE, actor=customer)
    services.request_transition(request=request, to=RequestState.IN_PROGRESS, actor=dpo)
    access = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    report = member_erase_by_retention(member=customer, reason="inactive for three years")
    request.refresh_from_db()
    access.refresh_from_db()
    assert (request.state, request.result) == (RequestState.COMPLETED, f"Erased; report {report.pk}.")
    assert request.closed_at is not None
    assert access.state == RequestState.VERIFIED


def test_the_erasure_from_the_console_completes_the_request_once(client, customer, dpo):
    """The console's erasure completes the request (one "erased" step, one completion) and says so."""
    request = services.request_create(member=customer, kind=RequestKind.ERASURE, actor=customer)
    services.request_transition(request=request, to=RequestState.IN_PROGRESS, actor=dpo)
    client.force_login(dpo)
    url = reverse("dsar_admin:detail", args=[request.pk])
    response = client.post(url, {"action": "erase", "confirm_handle": customer.handle}, follow=True)
    assert _messages(response) == ["The member was erased and the request is completed. The report is attached."]
    request.refresh_from_db()
    assert request.state == RequestState.COMPLETED
    steps = request.events.filter(action__in=["erased", "transition"]).order_by("pk")
    assert list(steps.values_list("action", "to_state")) == [
        ("transition", RequestState.IDENTITY_UNVERIFIED),
        ("transition", RequestState.VERIFIED),
        ("transition", RequestState.IN_PROGRESS),
        ("erased", ""),
        ("transition", RequestState.COMPLETED),
    ]


def test_the_request_confirmation_names_the_due_date_in_the_locale_format(client, customer):
    """The confirmation after asking in the privacy centre reads the due date like the rest of the site."""
    from django.utils import formats, translation

    from consent.dsar.models import AccessRequest
    from tests.factories import PASSWORD

    client.force_login(customer)
    form = {"req-kind": RequestKind.ACCESS, "req-details": "", "req-password": PASSWORD}
    text = _text(client.post(reverse("consent:dsar:request_create"), form, follow=True).content.decode())
    request = AccessRequest.objects.get(member=customer)
    with translation.override("en"):
        due = formats.date_format(request.due_on, "DATE_FORMAT")
    assert f"We received your request and will answer by {due}." in text
    assert request.due_on.isoformat() not in text

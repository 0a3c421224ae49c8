"""Requests of people who are not members, in the DPO console: same lifecycle, deadline and approvals as a member's."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consent.dsar import address_sources
from consent.dsar import services as dsar
from consent.dsar.models import AccessRequest, ErasureReport
from portal.roles import Role
from tests.factories import make_member

ADDRESS = "rosa.outside@example.net"


@pytest.fixture
def held(monkeypatch):
    """An app holding two records about ADDRESS, through the console's slot (what intake registers)."""
    store = {ADDRESS: [{"text": "first"}, {"text": "second"}]}
    erased = []

    def erase(*, address, report_id):
        rows = store.pop(address.lower(), [])
        erased.append((address, report_id))
        return [{"model": "test.Record", "rows": len(rows), "action": "deleted"}] if rows else []

    monkeypatch.setattr(address_sources, "_sources", {})
    address_sources.register(
        code="test",
        label="Test records",
        find=lambda address: [{"title": r["text"], "when": None, "detail": ""} for r in store.get(address.lower(), [])],
        export=lambda address: list(store.get(address.lower(), [])),
        erase=erase,
    )
    return {"store": store, "erased": erased}


def _verified(request, dpo, mailoutbox, on_commit):
    with on_commit(execute=True):
        dsar.verification_send(request=request, actor=dpo)
    request.refresh_from_db()  # now waiting for the code
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    assert dsar.verification_check(request=request, code=code) == dsar.CodeResult.OK
    return dsar.request_transition(request=request, to="in_progress", actor=dpo)


def test_only_the_dpo_records_access_or_erasure_for_a_valid_address(dpo, moderator):
    """Kinds other than access and erasure, a broken address and a non-DPO are refused; nothing is stored."""
    with pytest.raises(ValidationError):
        dsar.address_request_create(address=ADDRESS, kind="restriction", actor=dpo)
    with pytest.raises(ValidationError):
        dsar.address_request_create(address="not an address", kind="access", actor=dpo)
    with pytest.raises(PermissionDenied):
        dsar.address_request_create(address=ADDRESS, kind="access", actor=moderator)
    assert AccessRequest.objects.count() == 0


def test_the_code_goes_to_the_address_and_the_deadline_is_one_month(
    dpo, mailoutbox, django_capture_on_commit_callbacks
):
    """Received 31 January: due 28 February; the code is mailed to the address in the recorded language."""
    received = timezone.make_aware(datetime(2025, 1, 31, 10, 0))
    request = dsar.address_request_create(
        address=ADDRESS, kind="access", actor=dpo, language="de", received_at=received
    )
    assert (request.member, request.requester_email, request.due_on) == (None, ADDRESS, date(2025, 2, 28))

    with django_capture_on_commit_callbacks(execute=True):
        dsar.verification_send(request=request, actor=dpo)

    (sent,) = mailoutbox
    assert (sent.to, sent.subject) == ([ADDRESS], "Bestätigen Sie Ihre Datenschutzanfrage")
    assert reverse("consent:dsar:verify", args=[request.pk]) in sent.body
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)
    response = Client().post(reverse("consent:dsar:verify", args=[request.pk]), {"code": code})
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.state == "verified"


def test_console_lists_and_creates_requests_of_non_members(dpo, held):
    """The console's form records the request; the list shows the address marked as not a member."""
    client = Client()
    client.force_login(dpo)
    response = client.post(
        reverse("dsar_admin:create_address"),
        {"address": ADDRESS, "kind": "erasure", "channel": "letter", "language": "en", "details": "By post"},
    )
    request = AccessRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dsar_admin:detail", args=[request.pk])
    assert (request.kind, request.channel, request.details, request.state) == (
        "erasure",
        "letter",
        "By post",
        "received",
    )

    listing = client.get(reverse("dsar_admin:console")).content.decode()
    assert f'{ADDRESS} <span class="status-tag">not a member</span>' in listing
    detail = client.get(reverse("dsar_admin:detail", args=[request.pk])).content.decode()
    assert "What the portal holds about this address" in detail
    assert "<td>first</td>" in detail and "<td>second</td>" in detail


def test_erasure_needs_two_dpos_when_configured(dpo, held, settings, mailoutbox, django_capture_on_commit_callbacks):
    """With the second approval on, the first DPO approves, the same one cannot run it, a second one erases."""
    settings.DSAR_ERASURE_SECOND_APPROVAL = True
    second = make_member(role=Role.DPO)
    request = dsar.address_request_create(address=ADDRESS, kind="erasure", actor=dpo)
    _verified(request, dpo, mailoutbox, django_capture_on_commit_callbacks)

    assert dsar.address_erase(request=request, actor=dpo, confirmation=ADDRESS) is None
    assert held["erased"] == []
    with pytest.raises(ValidationError):
        dsar.address_erase(request=request, actor=dpo, confirmation=ADDRESS)
    with pytest.raises(ValidationError):
        dsar.address_erase(request=request, actor=second, confirmation="other@example.net")
    report = dsar.address_erase(request=request, actor=second, confirmation=ADDRESS.upper())

    assert held["erased"] == [(ADDRESS, report.pk)]
    assert ADDRESS not in held["store"]
    assert (report.member, report.request_id, report.actor_id) == (None, request.pk, second.pk)
    assert report.removed == [{"model": "test.Record", "rows": 2, "action": "deleted"}]
    assert [entry["model"] for entry in report.kept] == ["dsar.AccessRequest"]
    request.refresh_from_db()
    assert request.state == "completed"
    assert ErasureReport.objects.count() == 1


def test_export_of_an_address_is_json_of_every_source(dpo, held, mailoutbox, django_capture_on_commit_callbacks):
    """The access request's download holds each source's records; it is recorded in the request's history."""
    request = dsar.address_request_create(address=ADDRESS, kind="access", actor=dpo)
    _verified(request, dpo, mailoutbox, django_capture_on_commit_callbacks)

    payload = dsar.address_export(request=request, actor=dpo)

    assert payload["sources"] == {"test": [{"text": "first"}, {"text": "second"}]}
    assert (payload["address"], payload["request"]) == (ADDRESS, str(request.pk))
    assert list(request.events.filter(action="export").values_list("note", flat=True)) == [
        "2 records about the address"
    ]

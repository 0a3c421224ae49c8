"""The DPO console's request page: each button calls its service, says what happened, and refuses what it must."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from consent.dsar import services
from consent.dsar.models import AccessRequest, RequestEvent, RequestKind, RequestState
from consent.models import MemberConsent
from consent.services import consent_grant

S = RequestState


def _post(client, request: AccessRequest, **data) -> tuple[int, list[str]]:
    """Press a button; the status, and the messages the page then shows (a redirect is followed to show them)."""
    response = client.post(reverse("dsar_admin:detail", args=[request.pk]), data)
    status = response.status_code
    if status == 302:
        response = client.get(response["Location"])
    return status, [str(message) for message in response.context["messages"]]


def _log(request: AccessRequest) -> list[tuple[str, str]]:
    return list(RequestEvent.objects.filter(request=request).values_list("action", "to_state"))


def test_an_unknown_action_is_refused_and_changes_nothing(client, customer, dpo):
    """A button the console does not know answers 400 with a message; the request and its log stay as they were."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    before = _log(request)
    client.force_login(dpo)

    assert _post(client, request, action="delete_everything") == (400, ["Unknown action."])

    assert _log(request) == before
    request.refresh_from_db()
    assert (request.state, request.assignee) == (S.VERIFIED, None)


def test_a_letter_is_assigned_verified_noted_and_rejected_from_the_console(
    client, customer, dpo, django_capture_on_commit_callbacks
):
    """Assign, send the code, note and reject each land in the log; a blank note is refused and not logged."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=dpo, channel="letter")
    client.force_login(dpo)

    assert _post(client, request, action="assign") == (302, ["The request is assigned to you."])
    with django_capture_on_commit_callbacks(execute=True):
        sent = _post(client, request, action="send_code")
    assert sent == (302, ["A code was sent to the member's account address."])
    assert [message.to for message in mail.outbox] == [[customer.email]]
    assert _post(client, request, action="note", note="") == (400, ["Write a note."])
    assert _post(client, request, action="note", note="Asked the member to enter the code.") == (
        302,
        ["The note is added to the history."],
    )
    assert _post(client, request, action="reject", note="The code was never entered.") == (
        302,
        ["The request is rejected and the member was told."],
    )

    request.refresh_from_db()
    assert (request.state, request.assignee) == (S.REJECTED, dpo)
    assert _log(request) == [
        ("received", S.RECEIVED),
        ("assigned", ""),
        ("transition", S.IDENTITY_UNVERIFIED),
        ("code_sent", ""),
        ("note", ""),
        ("transition", S.REJECTED),
    ]


def test_a_step_outside_the_lifecycle_is_refused_with_a_message(client, customer, dpo):
    """Completing a request nobody started is refused: the DPO is told, the state stays."""
    request = services.request_create(member=customer, kind=RequestKind.ACCESS, actor=customer)
    client.force_login(dpo)

    assert _post(client, request, action="complete") == (
        302,
        ["This step is not possible in the request's current state."],
    )

    request.refresh_from_db()
    assert request.state == S.VERIFIED


def test_an_objection_and_a_rectification_run_from_the_console(client, customer, dpo):
    """Stop processing withdraws only the marketing consents and says how many; rectify saves the corrected data."""
    consent_grant(user=customer, purpose="crm_followup")
    consent_grant(user=customer, purpose="analytics")
    objection = services.request_create(member=customer, kind=RequestKind.OBJECTION, actor=customer)
    rectification = services.request_create(member=customer, kind=RequestKind.RECTIFICATION, actor=customer)
    client.force_login(dpo)
    for request in (objection, rectification):
        assert _post(client, request, action="start") == (302, ["Work on the request has started."])

    assert _post(client, objection, action="restrict") == (
        302,
        ["Processing stopped until you lift the restriction (1 consents withdrawn)."],
    )
    assert dict(MemberConsent.objects.filter(user=customer).values_list("purpose__code", "state")) == {
        "crm_followup": "withdrawn",
        "analytics": "granted",
    }
    assert _post(client, rectification, action="rectify", first_name="Ada", last_name="", email="no address") == (
        400,
        ["Check the corrected data."],
    )
    customer.refresh_from_db()
    assert customer.first_name != "Ada"
    assert _post(client, rectification, action="rectify", first_name="Ada", last_name="", email="ada@example.com") == (
        302,
        ["The member's data was corrected."],
    )
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email) == ("Ada", "", "ada@example.com")

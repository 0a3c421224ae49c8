"""Identity reaches the CRM only with live consent at send time; withdrawal and erasure send redactions."""

from __future__ import annotations

import json
import uuid

import pytest

from consent import services as consent
from consent.pseudonyms import pseudonym_for
from crm import services
from crm.models import InterestCard, OutboxKind, OutboxMessage, OutboxState
from portal.roles import Role
from tests.factories import make_member


@pytest.fixture
def member(db):
    """A member whose every identifier is distinctive, so a leak cannot hide in a coincidence."""
    return make_member(
        role=Role.CUSTOMER,
        id=987_654_321,
        email="zelda.quixote@example.org",
        first_name="Zelda",
        last_name="Quixote",
    )


@pytest.fixture
def neighbour(db):
    return make_member(role=Role.CUSTOMER, email="olaf.neighbour@example.org", first_name="Olaf", last_name="Nachbar")


def _identifiers(user) -> list[str]:
    return [user.email, user.first_name, user.last_name, user.get_full_name(), user.handle, str(user.pk)]


def _thread_by(member, neighbour, make_thread):
    body = (
        f"Hi, I am {member.get_full_name()} ({member.email}), call me on +49 30 1234567. "
        f"My colleague @{neighbour.handle} said the premium tier is cheaper. Signed, {member.handle}"
    )
    return make_thread(member, title=f"{member.first_name} asks about seats", body=body)


def _sent_bodies(receiver) -> list[str]:
    return [request.body.decode() for request in receiver.requests]


def test_without_consent_no_payload_carries_the_members_identifiers(
    member, neighbour, make_thread, moderator, tag, lead_rule, webhook_receiver, crm_store
):
    """Every byte sent without consent is free of the member's e-mail, names, handle and id."""
    thread = _thread_by(member, neighbour, make_thread)
    tag(thread, moderator)
    card = InterestCard.objects.get(source_id=thread.pk)
    services.card_claim(card=card, user=moderator)  # a second upsert, also without consent
    assert services.outbox_sweep()["enqueued"] == 1

    bodies = _sent_bodies(webhook_receiver)
    assert len(bodies) == 2
    for body in bodies + [json.dumps(m.payload) for m in OutboxMessage.objects.all()]:
        for identifier in _identifiers(member) + [neighbour.handle, neighbour.email]:
            assert identifier.lower() not in body.lower(), identifier
        assert "1234567" not in body
    payload = crm_store.tasks[str(card.key)]
    assert payload["author"] == {"pseudonym": pseudonym_for(member, lead_rule.connection.pseudonym_domain)}
    assert pseudonym_for(neighbour, lead_rule.connection.pseudonym_domain) in payload["text"]
    assert card.identity_sent is False


def test_with_live_consent_name_and_email_go_out(member, neighbour, make_thread, moderator, tag, lead_rule, crm_store):
    """With crm_followup consent the CRM gets the member's name and e-mail; other members stay pseudonymous."""
    consent.consent_grant(user=member, purpose="crm_followup")
    thread = _thread_by(member, neighbour, make_thread)
    tag(thread, moderator)

    card = InterestCard.objects.get(source_id=thread.pk)
    payload = crm_store.tasks[str(card.key)]
    assert payload["author"] == {
        "pseudonym": pseudonym_for(member, lead_rule.connection.pseudonym_domain),
        "name": "Zelda Quixote",
        "email": "zelda.quixote@example.org",
    }
    assert neighbour.handle not in json.dumps(payload)
    assert pseudonym_for(neighbour, lead_rule.connection.pseudonym_domain) in payload["text"]
    assert card.identity_sent is True
    assert OutboxMessage.objects.get().with_identity is True


def test_withdrawal_after_queuing_sends_the_pseudonym(
    member, neighbour, make_thread, moderator, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """Consent is checked when sending: withdrawn between queuing and sending, only the pseudonym goes."""
    from community import services as community

    consent.consent_grant(user=member, purpose="crm_followup")
    thread = _thread_by(member, neighbour, make_thread)
    with django_capture_on_commit_callbacks(execute=False) as tag_callbacks:
        community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    with django_capture_on_commit_callbacks(execute=False) as send_callbacks:
        for callback in tag_callbacks:
            callback()
    assert OutboxMessage.objects.get().state == OutboxState.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_withdraw(user=member, purpose="crm_followup")
    assert OutboxMessage.objects.filter(kind=OutboxKind.REDACT).count() == 0  # nothing was sent with identity yet
    for callback in send_callbacks:
        callback()

    card = InterestCard.objects.get(source_id=thread.pk)
    payload = crm_store.tasks[str(card.key)]
    assert payload["author"] == {"pseudonym": pseudonym_for(member, lead_rule.connection.pseudonym_domain)}
    assert member.email not in json.dumps(payload)
    assert card.identity_sent is False


def test_withdrawal_redacts_cards_already_sent_with_identity(
    member, neighbour, make_thread, moderator, tag, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """Withdrawing crm_followup sends a redaction for every card the CRM holds with the identity."""
    consent.consent_grant(user=member, purpose="crm_followup")
    thread = _thread_by(member, neighbour, make_thread)
    tag(thread, moderator)
    other_thread = make_thread(member, title="Second question", body="More")
    tag(other_thread, moderator)
    assert InterestCard.objects.filter(identity_sent=True).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_withdraw(user=member, purpose="crm_followup")

    redactions = OutboxMessage.objects.filter(kind=OutboxKind.REDACT)
    assert redactions.count() == 2
    assert set(redactions.values_list("state", flat=True)) == {OutboxState.SENT}
    assert InterestCard.objects.filter(identity_sent=True).count() == 0
    for card in InterestCard.objects.all():
        stored = crm_store.tasks[str(card.key)]
        assert stored["event"] == "card.redacted"
        assert stored["author"] == {"pseudonym": pseudonym_for(member, card.connection.pseudonym_domain)}
        for identifier in _identifiers(member):
            assert identifier.lower() not in json.dumps(stored).lower()


def test_withdrawal_of_another_purpose_sends_nothing(
    member, neighbour, make_thread, moderator, tag, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """Only crm_followup matters to the CRM: withdrawing analytics leaves the cards alone."""
    consent.consent_grant(user=member, purpose="crm_followup")
    consent.consent_grant(user=member, purpose="analytics")
    tag(_thread_by(member, neighbour, make_thread), moderator)

    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_withdraw(user=member, purpose="analytics")

    assert OutboxMessage.objects.filter(kind=OutboxKind.REDACT).count() == 0
    assert InterestCard.objects.get().identity_sent is True


def test_erasure_redacts_and_later_sends_carry_no_identity(
    member, neighbour, make_thread, moderator, tag, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """Erasure tells the CRM (redaction through the outbox); an erased member never goes out by name again."""
    from django.utils import timezone

    consent.consent_grant(user=member, purpose="crm_followup")
    thread = _thread_by(member, neighbour, make_thread)
    tag(thread, moderator)
    member.erased_at = timezone.now()
    member.save(update_fields=["erased_at"])

    with django_capture_on_commit_callbacks(execute=True):
        assert services.member_redact(user_id=member.pk) == 1

    card = InterestCard.objects.get()
    assert card.identity_sent is False
    assert crm_store.tasks[str(card.key)]["event"] == "card.redacted"
    with django_capture_on_commit_callbacks(execute=True):
        services.card_claim(card=card, user=moderator)
    assert member.email not in json.dumps(crm_store.tasks[str(card.key)])


def test_registry_erasure_is_followed_by_a_redaction_from_the_sweep(
    member, neighbour, make_thread, moderator, tag, lead_rule, crm_store
):
    """When erasure anonymises the card as the registry says, the next sweep redacts the CRM task."""
    from consent.dsar.erasure import anonymise_values
    from consent.registry import rules_for

    consent.consent_grant(user=member, purpose="crm_followup")
    tag(_thread_by(member, neighbour, make_thread), moderator)
    card = InterestCard.objects.get()
    assert card.identity_sent is True
    (rule,) = [r for r in rules_for(InterestCard) if r.subject == "member"]
    # What consent's erasure run does to the card.
    InterestCard.objects.filter(pk=card.pk).update(**anonymise_values(rule, uuid.uuid4()))

    services.outbox_sweep()
    services.outbox_sweep()  # a second sweep finds nothing left to redact

    assert OutboxMessage.objects.filter(kind=OutboxKind.REDACT).count() == 1
    card.refresh_from_db()
    assert card.identity_sent is False
    stored = crm_store.tasks[str(card.key)]
    assert stored["event"] == "card.redacted"
    assert stored["author"] == {"pseudonym": None, "deleted": True}
    for identifier in _identifiers(member):
        assert identifier.lower() not in json.dumps(stored).lower()


def test_erasure_event_redacts_at_once_without_waiting_for_the_sweep(
    member, neighbour, make_thread, moderator, tag, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """The privacy core's member_erased event queues and sends the redaction right away."""
    from consent.dsar.erasure import anonymise_values
    from consent.dsar.events import member_erased
    from consent.registry import rules_for

    consent.consent_grant(user=member, purpose="crm_followup")
    tag(_thread_by(member, neighbour, make_thread), moderator)
    card = InterestCard.objects.get()
    (rule,) = [r for r in rules_for(InterestCard) if r.subject == "member"]
    # What consent's erasure run does to the card.
    InterestCard.objects.filter(pk=card.pk).update(**anonymise_values(rule, uuid.uuid4()))

    with django_capture_on_commit_callbacks(execute=True):
        member_erased.send(user_id=member.pk, report_id=None)

    assert OutboxMessage.objects.filter(kind=OutboxKind.REDACT).count() == 1
    card.refresh_from_db()
    assert card.identity_sent is False
    assert crm_store.tasks[str(card.key)]["event"] == "card.redacted"


def test_erasure_redacts_again_a_card_whose_identity_a_withdrawal_already_took_out(
    member, neighbour, make_thread, moderator, tag, lead_rule, crm_store, dpo, django_capture_on_commit_callbacks
):
    """A withdrawal redacted only the identity; the later erasure still sends a redaction of the title and text."""
    from consent.dsar import services as dsar

    consent.consent_grant(user=member, purpose="crm_followup")
    tag(_thread_by(member, neighbour, make_thread), moderator)
    card = InterestCard.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_withdraw(user=member, purpose="crm_followup")
    assert list(OutboxMessage.objects.filter(kind=OutboxKind.REDACT).values_list("state", flat=True)) == ["sent"]
    assert crm_store.tasks[str(card.key)]["title"] != ""  # the CRM kept the copied title

    with django_capture_on_commit_callbacks(execute=True):
        dsar.member_erase(member=member, actor=dpo)
    services.outbox_sweep()  # nothing more to redact

    # The erasure deleted the member's delivery log and sent its own redaction: three arrivals in all.
    assert list(OutboxMessage.objects.filter(kind=OutboxKind.REDACT).values_list("state", flat=True)) == ["sent"]
    assert sorted(crm_store.arrivals.values()) == [3]
    stored = crm_store.tasks[str(card.key)]
    assert (stored["event"], stored["text"]) == ("card.redacted", "")
    for identifier in _identifiers(member):
        assert identifier.lower() not in json.dumps(stored).lower()

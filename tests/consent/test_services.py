"""Consent checks and changes: nothing pre-ticked, one event per change, lapse on material notice changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from consent import selectors, services
from consent.events import consent_changed
from consent.models import ConsentEvent, ConsentState, EventKind, MemberConsent, Purpose
from tests.factories import make_member

pytestmark = pytest.mark.django_db
PURPOSES = ["crm_followup", "newsletter", "analytics", "public_profile", "chat_transcript"]


def test_a_fresh_install_has_the_purposes_with_notices_in_both_languages():
    assert sorted(Purpose.objects.values_list("code", flat=True)) == sorted(PURPOSES)
    for purpose in Purpose.objects.all():
        notice = purpose.notices.get()
        assert notice.version == 1 and notice.text_en and notice.text_de and notice.text_en != notice.text_de
    assert Purpose.objects.get(code="newsletter").double_opt_in is True


def test_a_new_member_holds_no_consent(customer):
    """Nothing is pre-ticked (Art. 25): every purpose reads False and no ledger event exists."""
    assert [selectors.has_consent(customer, code) for code in PURPOSES] == [False] * 5
    assert ConsentEvent.objects.count() == 0


def test_anonymous_visitors_have_consented_to_nothing():
    assert selectors.has_consent(AnonymousUser(), "analytics") is False
    assert selectors.has_consent(None, "analytics") is False


def test_an_unknown_purpose_raises_a_clear_error(customer):
    with pytest.raises(selectors.UnknownPurpose, match="crm_follow_up"):
        selectors.has_consent(customer, "crm_follow_up")
    with pytest.raises(selectors.UnknownPurpose):
        services.consent_grant(user=customer, purpose="nope")


def test_grant_and_withdraw_write_one_event_each_and_move_the_projection(customer):
    granted = services.consent_grant(user=customer, purpose="analytics", language="en")
    assert (granted.kind, granted.state, granted.index) == (EventKind.GRANT, ConsentState.GRANTED, 0)
    assert selectors.has_consent(customer, "analytics") is True
    assert selectors.has_consent(customer, "crm_followup") is False
    withdrawn = services.consent_withdraw(user=customer, purpose="analytics")
    assert (withdrawn.kind, withdrawn.state, withdrawn.index) == (EventKind.WITHDRAW, ConsentState.WITHDRAWN, 1)
    assert selectors.has_consent(customer, "analytics") is False
    consent = MemberConsent.objects.get(user=customer)
    assert (consent.state, consent.event_index, consent.notice_version) == (ConsentState.WITHDRAWN, 1, 1)


def test_repeating_a_grant_or_withdrawal_changes_nothing(customer):
    services.consent_grant(user=customer, purpose="analytics")
    assert services.consent_grant(user=customer, purpose="analytics") is None
    services.consent_withdraw(user=customer, purpose="analytics")
    assert services.consent_withdraw(user=customer, purpose="analytics") is None
    assert services.consent_withdraw(user=customer, purpose="crm_followup") is None
    assert ConsentEvent.objects.count() == 2


def test_has_consent_is_one_indexed_query_then_memoised(customer, django_assert_num_queries):
    services.consent_grant(user=customer, purpose="analytics")
    selectors.has_consent(customer, "crm_followup")  # purpose catalogue warm
    fresh = type(customer).objects.get(pk=customer.pk)
    with django_assert_num_queries(1):
        assert selectors.has_consent(fresh, "analytics") is True
    with django_assert_num_queries(0):
        assert selectors.has_consent(fresh, "analytics") is True


def test_a_withdrawal_through_another_object_is_seen_by_a_fresh_load(customer):
    """Nothing is cached across objects: a worker loading the member sees the withdrawal at once."""
    services.consent_grant(user=customer, purpose="crm_followup")
    elsewhere = type(customer).objects.get(pk=customer.pk)
    assert selectors.has_consent(elsewhere, "crm_followup") is True
    services.consent_withdraw(user=customer, purpose="crm_followup")
    assert selectors.has_consent(type(customer).objects.get(pk=customer.pk), "crm_followup") is False


def test_a_material_notice_change_makes_consent_lapse_until_agreed_again(customer, dpo):
    purpose = Purpose.objects.get(code="analytics")
    services.consent_grant(user=customer, purpose="analytics")
    services.notice_publish(
        purpose=purpose,
        text_en="We now also count clicks.",
        text_de="Wir zählen nun auch Klicks.",
        material=True,
        actor=dpo,
    )
    fresh = type(customer).objects.get(pk=customer.pk)
    assert selectors.has_consent(fresh, "analytics") is False
    event = services.consent_grant(user=fresh, purpose="analytics", notice_version=2)
    assert event.kind == EventKind.GRANT and '"notice_version":2' in event.payload
    assert selectors.has_consent(fresh, "analytics") is True


def test_a_minor_notice_change_keeps_consent(customer):
    purpose = Purpose.objects.get(code="analytics")
    services.consent_grant(user=customer, purpose="analytics")
    services.notice_publish(purpose=purpose, text_en="Typo fixed.", text_de="Tippfehler behoben.", material=False)
    assert selectors.has_consent(type(customer).objects.get(pk=customer.pk), "analytics") is True
    assert Purpose.objects.get(code="analytics").required_notice_version == 1


def test_agreeing_to_a_notice_that_changed_meanwhile_is_refused(customer):
    purpose = Purpose.objects.get(code="analytics")
    services.notice_publish(purpose=purpose, text_en="New text.", text_de="Neuer Text.", material=True)
    with pytest.raises(ValidationError) as error:
        services.consent_grant(user=customer, purpose="analytics", notice_version=1)
    assert error.value.code == "stale_notice"
    assert ConsentEvent.objects.count() == 0


def test_the_ledger_stores_the_hash_of_the_text_in_the_language_shown(customer):
    notice = Purpose.objects.get(code="analytics").notices.get()
    event = services.consent_grant(user=customer, purpose="analytics", language="de")
    assert notice.text_hash("de") in event.payload and notice.text_hash("en") not in event.payload


def test_consent_changed_is_sent_after_commit(customer, django_capture_on_commit_callbacks):
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    consent_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.consent_grant(user=customer, purpose="crm_followup")
            assert received == []  # not before commit
        assert len(callbacks) == 1
        assert received == [
            {
                "user_id": customer.pk,
                "purpose": "crm_followup",
                "state": "granted",
                "event_index": 0,
            }
        ]
    finally:
        consent_changed.disconnect(receiver)


def test_only_members_give_consent(customer):
    with pytest.raises(PermissionDenied):
        services.consent_grant(user=AnonymousUser(), purpose="analytics")
    erased = make_member()
    erased.erased_at = erased.date_joined
    with pytest.raises(PermissionDenied):
        services.consent_grant(user=erased, purpose="analytics")
    assert ConsentEvent.objects.count() == 0


def test_audit_record_is_listed_for_the_member(customer, dpo):
    from consent.selectors import accesses_to

    entry = services.audit_record(actor=dpo, subject=customer, action="view_data", reason="Access request #12")
    assert accesses_to(user=customer) == [entry]
    assert entry.action_label == "viewed your data"

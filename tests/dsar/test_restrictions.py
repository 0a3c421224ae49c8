"""Restriction and objection are lasting flags: has_consent, re-grants, the CRM and mail honour them until lifted."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from community.models import ModerationSettings
from consent.dsar import restrictions, services
from consent.dsar.models import AccessRequest, ProcessingRestriction, RequestKind, RequestState
from consent.models import AuditEntry, ConsentEvent, MemberConsent
from consent.newsletter import newsletter_send
from consent.registry import rules_for
from consent.selectors import has_consent
from consent.services import consent_grant
from crm.models import InterestCard
from portal.models import Notification

S = RequestState


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _restrict(member, dpo, kind=RequestKind.RESTRICTION) -> AccessRequest:
    request = services.request_create(member=member, kind=kind, actor=member)
    services.request_transition(request=request, to=S.IN_PROGRESS, actor=dpo)
    services.request_restrict(request=request, actor=dpo)
    return request


def test_a_restriction_switches_every_purpose_off_while_the_consents_stay_recorded(customer, dpo):
    """The flag alone makes has_consent False for each purpose; the projection still says what was given."""
    consent_grant(user=customer, purpose="analytics")
    consent_grant(user=customer, purpose="public_profile")
    restrictions.restriction_place(member=customer, kind="restriction", actor=dpo)
    member = _fresh(customer)
    assert [has_consent(member, code) for code in ("analytics", "public_profile", "chat_transcript")] == [
        False,
        False,
        False,
    ]
    assert set(MemberConsent.objects.filter(user=customer).values_list("state", flat=True)) == {"granted"}


def test_an_objection_switches_off_only_direct_marketing(customer, dpo):
    """Objection to direct marketing: newsletter and crm_followup are off, analytics keeps running."""
    consent_grant(user=customer, purpose="analytics")
    consent_grant(user=customer, purpose="crm_followup")
    restrictions.restriction_place(member=customer, kind="objection", actor=dpo)
    member = _fresh(customer)
    assert (has_consent(member, "analytics"), has_consent(member, "crm_followup")) == (True, False)


def test_has_consent_stays_one_query_with_a_restriction(customer, dpo, django_assert_num_queries):
    """The restriction is joined into the one indexed lookup: one query, then memoised."""
    consent_grant(user=customer, purpose="analytics")
    restrictions.restriction_place(member=customer, kind="restriction", actor=dpo)
    member = _fresh(customer)
    has_consent(member, "analytics")  # the purpose codes are loaded once per process
    member = _fresh(customer)
    with django_assert_num_queries(1):
        assert has_consent(member, "analytics") is False
    with django_assert_num_queries(0):
        assert has_consent(member, "analytics") is False


def test_a_restricted_member_cannot_grant_again(customer, dpo):
    """A grant during a restriction is refused with the reason, and the ledger gets no event."""
    _restrict(customer, dpo)
    events = ConsentEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        consent_grant(user=customer, purpose="analytics")
    assert refused.value.code == "restricted"
    assert ConsentEvent.objects.count() == events


def test_an_objecting_member_may_grant_other_purposes(customer, dpo):
    """Under an objection the newsletter is refused, analytics may still be given."""
    _restrict(customer, dpo, kind=RequestKind.OBJECTION)
    with pytest.raises(ValidationError):
        consent_grant(user=customer, purpose="newsletter")
    assert consent_grant(user=customer, purpose="analytics").state == "granted"


def test_completing_the_request_does_not_lift_the_restriction(customer, dpo):
    """The request is done, the restriction stands until the DPO lifts it explicitly."""
    request = _restrict(customer, dpo)
    services.request_transition(request=request, to=S.COMPLETED, actor=dpo, note="Restricted as asked.")
    restriction = ProcessingRestriction.objects.get(member=customer)
    assert (restriction.kind, restriction.request, restriction.placed_by, restriction.is_live) == (
        "restriction",
        request,
        dpo,
        True,
    )
    with pytest.raises(ValidationError):
        consent_grant(user=customer, purpose="analytics")


def test_restricting_twice_keeps_one_standing_restriction(customer, dpo):
    """A second restriction request of the same member returns the standing record."""
    _restrict(customer, dpo)
    _restrict(customer, dpo)
    assert ProcessingRestriction.objects.filter(member=customer, lifted_at__isnull=True).count() == 1


def test_the_dpo_lifts_with_a_reason_and_the_member_may_grant_again(customer, dpo):
    """Lifting needs a reason, is audited, noted on the request and told to the member; grants work again."""
    request = _restrict(customer, dpo)
    restriction = ProcessingRestriction.objects.get(member=customer)
    with pytest.raises(ValidationError):
        restrictions.restriction_lift(restriction=restriction, actor=dpo, reason="ok")
    with pytest.raises(PermissionDenied):
        restrictions.restriction_lift(restriction=restriction, actor=customer, reason="I want it lifted now")
    assert ProcessingRestriction.objects.get().is_live
    restrictions.restriction_lift(restriction=restriction, actor=dpo, reason="The accuracy dispute is settled.")
    restriction.refresh_from_db()
    assert (restriction.lifted_by, restriction.lift_reason) == (dpo, "The accuracy dispute is settled.")
    assert request.events.filter(action="restriction_lifted").get().note == "The accuracy dispute is settled."
    assert AuditEntry.objects.filter(action="restriction_lift", subject=customer, actor=dpo).count() == 1
    notice = Notification.objects.get(recipient=customer, message="dsar.restriction_lifted")
    assert notice.title == "The restriction of processing of your data has ended"
    member = _fresh(customer)
    consent_grant(user=member, purpose="analytics")
    assert has_consent(_fresh(customer), "analytics") is True
    with pytest.raises(ValidationError):
        restrictions.restriction_lift(restriction=restriction, actor=dpo, reason="Lifting it a second time.")


def test_the_privacy_centre_says_why_consents_cannot_be_given(client, customer, dpo):
    """The member sees the restriction and its date; a refused grant explains itself; after lifting it is gone."""
    _restrict(customer, dpo)
    client.force_login(customer)
    html = client.get(reverse("consent:centre")).content.decode()
    assert 'data-restriction="restriction"' in html
    assert "cannot be given again until our data protection officer lifts the restriction" in html
    response = client.post(reverse("consent:toggle", args=["analytics"]), {"action": "grant"}, follow=True)
    assert "until our data protection officer lifts the restriction" in response.content.decode()
    assert not MemberConsent.objects.filter(user=customer, state="granted").exists()
    restrictions.restriction_lift(
        restriction=ProcessingRestriction.objects.get(), actor=dpo, reason="The member withdrew the request."
    )
    assert "data-restriction" not in client.get(reverse("consent:centre")).content.decode()


def test_the_dpo_lifts_from_the_console(client, customer, other_customer, dpo):
    """The console lists the restriction with a lift form; another member's restriction id is refused."""
    request = _restrict(customer, dpo)
    foreign = restrictions.restriction_place(member=other_customer, kind="objection", actor=dpo)
    client.force_login(dpo)
    url = reverse("dsar_admin:detail", args=[request.pk])
    page = client.get(url).content.decode()
    assert 'value="lift"' in page and "in force" in page
    refused = client.post(url, {"action": "lift", "restriction": foreign.pk, "reason": "Not this member's record."})
    assert refused.status_code == 404
    assert client.post(url, {"action": "lift", "restriction": "", "reason": "short"}).status_code == 400
    response = client.post(
        url, {"action": "lift", "restriction": request.restrictions.get().pk, "reason": "Dispute settled by phone."}
    )
    assert response.status_code == 302
    assert list(ProcessingRestriction.objects.filter(lifted_at__isnull=True).values_list("pk", flat=True)) == [
        foreign.pk
    ]


def test_the_crm_gets_no_identity_from_a_restricted_member(
    customer, dpo, moderator, make_thread, tag, lead_rule, crm_store
):
    """A live crm_followup consent does not reach the CRM while a restriction stands: nothing goes (issue 15)."""
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    consent_grant(user=customer, purpose="crm_followup")
    restrictions.restriction_place(member=customer, kind="restriction", actor=dpo)
    thread = make_thread(customer)
    tag(thread, moderator)
    assert InterestCard.objects.filter(source_id=thread.pk).count() == 0
    assert crm_store.tasks == {}


def test_no_newsletter_goes_to_an_objecting_member(customer, other_customer, dpo, django_capture_on_commit_callbacks):
    """The newsletter issue is queued only for members without a standing objection."""
    from consent.services import opt_in_confirm

    for member in (customer, other_customer):
        with django_capture_on_commit_callbacks(execute=True):
            consent_grant(user=member, purpose="newsletter")
    tokens = [re.search(r"/confirm/([^/\s]+)/", message.body).group(1) for message in mail.outbox]
    for token in tokens:
        opt_in_confirm(token=token)
    assert newsletter_send(subject="News", body="Our news") == 2
    restrictions.restriction_place(member=customer, kind="objection", actor=dpo)
    assert newsletter_send(subject="News", body="Our news") == 1


def test_restrictions_are_classified_and_exported(db):
    """The registry knows whose restriction it is and how erasure treats it."""
    from django.apps import apps

    assert [rule.subject for rule in rules_for(apps.get_model("dsar.ProcessingRestriction"))] == [
        "member",
        "placed_by",
        "lifted_by",
    ]

"""Pseudonyms: keyed per domain and version, unlinkable across domains, re-identified only by the DPO."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import PermissionDenied, ValidationError

from consent import pseudonyms, services
from consent.models import AuditEntry, ConsentEvent, PseudonymMapping
from consent.pseudonyms import InvalidDomain, parse
from consent.subjects import subject_for
from portal.keys import decode_key

pytestmark = pytest.mark.django_db
KEY1 = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
KEY2 = base64.urlsafe_b64encode(bytes(range(32, 64))).decode().rstrip("=")


def test_format_and_derivation_are_as_documented(customer, settings):
    """crm_<version>_<20 base32 chars of HMAC-SHA256(HKDF(master, info=pseudonym:<domain>:v<n>), user id)>."""
    settings.PSEUDONYM_KEYS = f"1:{KEY1}"
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"portal-pseudonym", info=b"pseudonym:crm:v1").derive(
        decode_key(KEY1)
    )
    digest = hmac.new(key, str(customer.pk).encode(), hashlib.sha256).digest()
    expected = "crm_1_" + base64.b32encode(digest).decode()[:20].lower()
    assert pseudonyms.pseudonym_for(customer, "crm") == expected
    assert parse(expected) == ("crm", 1)


def test_pseudonyms_are_stable_and_unlinkable_across_domains_and_members(customer, other_customer):
    crm = pseudonyms.pseudonym_for(customer, "crm")
    assert pseudonyms.pseudonym_for(customer, "crm") == crm
    analytics = pseudonyms.pseudonym_for(customer, "analytics")
    assert crm.split("_")[2] != analytics.split("_")[2]
    assert pseudonyms.pseudonym_for(other_customer, "crm") != crm
    assert customer.email not in crm and customer.handle not in crm


def test_the_highest_key_version_is_current_and_old_versions_still_compute(customer, settings):
    settings.PSEUDONYM_KEYS = f"1:{KEY1},2:{KEY2}"
    current = pseudonyms.pseudonym_for(customer, "crm")
    assert current.startswith("crm_2_")
    old = pseudonyms.pseudonym_for(customer, "crm", version=1)
    assert old.startswith("crm_1_") and old[6:] != current[6:]


def test_invalid_domains_are_refused(customer):
    for domain in ("", "CRM", "c", "crm-x", "x" * 21, "1crm"):
        with pytest.raises(InvalidDomain):
            pseudonyms.pseudonym_for(customer, domain)


def test_the_dpo_re_identifies_with_a_reason_logged_in_ledger_and_audit(customer, dpo):
    pseudonym = pseudonyms.pseudonym_for(customer, "crm")
    member = services.pseudonym_reidentify(
        actor=dpo, pseudonym=pseudonym, reason="Customer complaint #4711 needs a reply"
    )
    assert member == customer
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.subject, entry.action, entry.target) == (dpo, customer, "reidentify", pseudonym)
    event = ConsentEvent.objects.get()
    assert (event.kind, event.subject) == ("reidentify", subject_for(customer).ref)
    assert "Customer complaint" not in event.payload  # only a hash of the reason is in the ledger


@pytest.mark.parametrize("role", ["administrator", "moderator", "customer"])
def test_nobody_but_the_dpo_re_identifies(request, role, other_customer):
    actor = request.getfixturevalue(role)
    pseudonym = pseudonyms.pseudonym_for(other_customer, "crm")
    with pytest.raises(PermissionDenied):
        services.pseudonym_reidentify(actor=actor, pseudonym=pseudonym, reason="I would like to know who this is")
    assert AuditEntry.objects.count() == 0 and ConsentEvent.objects.count() == 0


def test_re_identification_needs_a_reason_and_a_known_pseudonym(customer, dpo):
    pseudonym = pseudonyms.pseudonym_for(customer, "crm")
    with pytest.raises(ValidationError) as error:
        services.pseudonym_reidentify(actor=dpo, pseudonym=pseudonym, reason="why")
    assert error.value.code == "reason"
    with pytest.raises(ValidationError) as error:
        services.pseudonym_reidentify(
            actor=dpo, pseudonym="crm_1_aaaaaaaaaaaaaaaaaaaa", reason="Complaint needs a reply"
        )
    assert error.value.code == "unknown"
    with pytest.raises(ValidationError) as error:
        services.pseudonym_reidentify(actor=dpo, pseudonym="max@example.com", reason="Complaint needs a reply")
    assert error.value.code == "format"
    assert AuditEntry.objects.count() == 0


def test_destroyed_mappings_cannot_be_re_identified(customer, dpo):
    pseudonym = pseudonyms.pseudonym_for(customer, "crm")
    PseudonymMapping.objects.filter(user=customer).delete()  # what erasure does
    with pytest.raises(ValidationError):
        services.pseudonym_reidentify(actor=dpo, pseudonym=pseudonym, reason="Complaint needs a reply")

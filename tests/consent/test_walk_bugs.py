"""Faults found walking the privacy back office (issue 19): the record of processing stayed English."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

pytestmark = pytest.mark.django_db


def test_the_record_of_processing_follows_the_german_back_office(client, dpo):
    """Under a German back office the record names purposes, data subjects, erasure and measures in German."""
    profile = UserProfile.get_for_user(dpo)
    profile.preferred_language = "de"
    profile.save()
    client.force_login(dpo)
    page = client.get(reverse("consent_admin:record")).content.decode()
    assert "Nachfassen durch unser Team" in page
    assert "TLS bei der Übertragung" in page
    for english in ("TLS in transit", "Follow-up by our team", ">delete<", ">anonymise<"):
        assert english not in page, english
    data = json.loads(client.get(reverse("consent_admin:record") + "?format=json").content)
    crm = next(activity for activity in data["activities"] if activity["code"] == "crm_followup")
    assert (crm["data_subjects"], crm["third_countries"]) == ("registrierte Community-Mitglieder", "keine")
    assert data["security_measures"].startswith("TLS bei der Übertragung")

"""Writes of CRM connections and tag rules, with secrets kept encrypted at rest."""

from __future__ import annotations

import json

from django.db import transaction

from community import services as community_services
from crm.models import CrmConnection, TagRule
from ideas import services as idea_services
from portal import field_crypto

SECRET_FIELDS = ("signing_secret", "api_token", "client_secret")


def connection_save(*, connection: CrmConnection, secrets: dict[str, str]) -> CrmConnection:
    """Store a connection; non-empty secrets replace the stored ones, empty ones keep them."""
    with transaction.atomic():
        current = connection.secrets() if connection.pk and connection.credentials else {}
        for name in SECRET_FIELDS:
            value = (secrets.get(name) or "").strip()
            if value:
                current[name] = value
        connection.credentials = (
            field_crypto.encrypt_text(json.dumps(current, sort_keys=True).encode(), aad=connection._aad())
            if current
            else ""
        )
        connection.full_clean()
        connection.save()
    return connection


def tag_rule_save(*, rule: TagRule, staff_only: bool = True) -> TagRule:
    """Store a rule and set its tag's visibility in the forums and on idea boards (staff-only unless told).

    Who may change rules is the rule views' permission; it covers the visibility of the rule's tag.
    """
    with transaction.atomic():
        rule.tag = normalise_tag(rule.tag)
        rule.full_clean()
        rule.save()
        community_services.tag_visibility_set(name=rule.tag, internal=staff_only, actor=None)
        idea_services.tag_visibility_set(name=rule.tag, internal=staff_only, actor=None)
    return rule


def normalise_tag(name: str) -> str:
    """The same normal form community gives tags: lower case, single spaces, no leading #."""
    return " ".join((name or "").strip().lstrip("#").split()).lower()

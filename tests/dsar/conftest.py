"""Fixtures of the access-request tests: exports land in a temporary directory."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.crm.conftest import (  # noqa: F401  (a real webhook CRM on loopback, for the restriction tests)
    crm_store,
    forum,
    lead_rule,
    make_thread,
    receiver_factory,
    signing_secret,
    tag,
    webhook_connection,
    webhook_receiver,
)


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    """Export files go to a per-test directory, never into the real var/."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.VAR_DIR


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _language_reset():
    """A German page request leaves German active in the thread; the next test starts in the default language."""
    yield
    translation.deactivate()

"""Fixtures of the access-request tests: exports land in a temporary directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    """Export files go to a per-test directory, never into the real var/."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.VAR_DIR


def client_for(client, user):
    client.force_login(user)
    return client

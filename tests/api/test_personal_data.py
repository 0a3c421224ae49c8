"""API tokens are their owner's personal data: in the MyData export, deleted by erasure."""

from __future__ import annotations

import json
import zipfile

from django.apps import apps

from api.models import ApiToken
from consent import registry
from consent.dsar import services as dsar
from consent.dsar.export import exports_dir
from tests.api.conftest import auth, personal_token


def test_every_api_model_is_classified():
    models = [m for m in apps.get_app_config("api").get_models() if not m._meta.auto_created]
    assert [m._meta.label for m in models if not registry.is_classified(m)] == []


def test_tokens_are_exported_without_their_secret(customer, django_capture_on_commit_callbacks):
    secret = personal_token(customer, "write")
    with django_capture_on_commit_callbacks(execute=True):
        export = dsar.export_request(user=customer)
    export.refresh_from_db()
    archive = zipfile.ZipFile(exports_dir() / export.file_name)
    rows = json.loads(archive.read("api_tokens.json"))
    assert [(r["name"], r["kind"], r["scopes"], r["prefix"]) for r in rows] == [
        ("script", "personal", ["write"], secret[:12])
    ]
    assert secret not in archive.read("api_tokens.json").decode()


def test_erasure_deletes_the_members_tokens(client, customer, dpo, forum, django_capture_on_commit_callbacks):
    secret = personal_token(customer)
    with django_capture_on_commit_callbacks(execute=True):
        dsar.member_erase(member=customer, actor=dpo)
    assert not ApiToken.objects.filter(user=customer).exists()
    assert client.get("/api/v1/forums", **auth(secret)).status_code == 401

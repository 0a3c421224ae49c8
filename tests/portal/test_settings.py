"""Settings come from the environment; production refuses missing or development keys."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.keys import KEY_SPECS, load_keys, production_values

ROOT = Path(__file__).resolve().parents[2]
BASE_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {s.env for s in KEY_SPECS} | {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}
}


def django_settings(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup(); from django.conf import settings; " + code],
        cwd=ROOT,
        env={
            **BASE_ENV,
            "DJANGO_SETTINGS_MODULE": "portal.settings.development",
            "PORTAL_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_default_is_sqlite_under_var_with_in_memory_layers(tmp_path):
    result = django_settings(
        tmp_path,
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], str(settings.DATABASES['default']['NAME']),"
        " settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CACHES['default']['BACKEND']]))",
    )
    assert result.returncode == 0, result.stderr
    engine, name, layer, cache = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "portal.sqlite3")
    assert layer == "channels.layers.InMemoryChannelLayer"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path):
    result = django_settings(
        tmp_path,
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'],"
        " settings.CHANNEL_LAYERS['default'], settings.CACHES['default']['BACKEND']]))",
        DATABASE_URL="postgres://portal:pw@db.internal:5432/portal",
        REDIS_URL="redis://cache.internal:6379/2",
        REDIS_MAX_CONNECTIONS="2000",
    )
    assert result.returncode == 0, result.stderr
    engine, name, layer, cache = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.postgresql"
    assert name == "portal"
    assert layer["BACKEND"] == "portal.channel_layers.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"][0]["address"] == "redis://cache.internal:6379/2"
    assert layer["CONFIG"]["hosts"][0]["max_connections"] == 2000
    assert cache == "portal.cache.FailSoftRedisCache"


def test_development_keys_are_generated_once_into_var(tmp_path):
    first = load_keys(debug=True, var_dir=tmp_path, environ={})
    second = load_keys(debug=True, var_dir=tmp_path, environ={})
    assert first == second
    assert set(first) == {s.env for s in KEY_SPECS}
    assert oct((tmp_path / "keys.json").stat().st_mode)[-3:] == "600"


@pytest.mark.parametrize("mode", ["missing", "development"])
def test_production_refuses_to_start_without_real_keys(tmp_path, mode):
    """Production settings with missing or dev keys stop at start-up with a clear message."""
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.production", "ALLOWED_HOSTS": "portal.example.com"}
    if mode == "development":
        env.update(load_keys(debug=True, var_dir=tmp_path / "dev", environ={}))
    result = django_settings(tmp_path, "print('started')", **env)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "Refusing to start with production settings" in result.stderr
    expected = "is not set" if mode == "missing" else "is a development key"
    assert expected in result.stderr


def test_production_check_deploy_is_clean_with_real_keys(tmp_path):
    env = {
        **BASE_ENV,
        **production_values(),
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "ALLOWED_HOSTS": "portal.example.com",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers_on_pages(client, db):
    response = client.get("/account/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"

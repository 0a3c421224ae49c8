"""The settings module chooses the environment; variables are read with their names in every error."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.keys import KEY_SPECS, production_values
from portal.settings.env import env_bool, env_float, env_int, env_list, env_path, env_str

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {s.env for s in KEY_SPECS} | {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "ALLOWED_HOSTS"}
}
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
    "s.DEBUG, s.ALLOWED_HOSTS, s.STORAGES['staticfiles']['BACKEND'], s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
    " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))"
)


def run_settings(module: str, tmp_path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={**CLEAN_ENV, "DJANGO_SETTINGS_MODULE": module, "PORTAL_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_development_is_debug_on_http_and_localhost(tmp_path):
    """Development needs nothing set: DEBUG on, localhost allowed, plain HTTP, keys generated into var/."""
    result = run_settings("portal.settings.development", tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        True,
        ["localhost", "127.0.0.1", "[::1]"],
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        False,
        0,
        False,
        False,
        None,
    ]
    assert (tmp_path / "keys.json").exists()


def test_production_is_debug_off_https_only_with_hashed_static_files(tmp_path):
    """Production: DEBUG off, HTTPS-only cookies, HSTS, SSL redirect behind a proxy, manifest static files."""
    result = run_settings(
        "portal.settings.production", tmp_path, ALLOWED_HOSTS="portal.example.com", **production_values()
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        False,
        ["portal.example.com"],
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        True,
        31536000,
        True,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ]
    assert not (tmp_path / "keys.json").exists()


def test_production_without_tls_proxy_for_try_outs(tmp_path):
    """DJANGO_SECURE_SSL_REDIRECT=0 and DJANGO_BEHIND_PROXY=0 switch off the redirect and the proxy header only."""
    result = run_settings(
        "portal.settings.production",
        tmp_path,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_BEHIND_PROXY="0",
        **production_values(),
    )
    assert result.returncode == 0, result.stderr
    debug, hosts, _storage, redirect, hsts, session_secure, csrf_secure, proxy = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert (debug, hosts, redirect, hsts, session_secure, csrf_secure, proxy) == (
        False,
        [],
        False,
        31536000,
        True,
        True,
        None,
    )


def test_development_refuses_the_retired_debug_switch(tmp_path):
    """DJANGO_DEBUG=0 once meant production: development settings stop instead of starting with DEBUG on."""
    result = run_settings("portal.settings.development", tmp_path, DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "set DJANGO_SETTINGS_MODULE=portal.settings.production" in result.stderr
    assert not (tmp_path / "keys.json").exists()


def test_unset_or_empty_variables_give_the_default(monkeypatch):
    """An unset variable and an empty one (`X=` in an env file) both give the declared default."""
    monkeypatch.delenv("PORTAL_H6_UNSET", raising=False)
    monkeypatch.setenv("PORTAL_H6_EMPTY", "")
    for name in ("PORTAL_H6_UNSET", "PORTAL_H6_EMPTY"):
        assert env_str(name, "a") == "a"
        assert env_int(name, 3) == 3
        assert env_float(name, 2.5) == 2.5
        assert env_bool(name, True) is True
        assert env_list(name, "x, y,") == ["x", "y"]
        assert env_path(name, Path("/srv")) == Path("/srv")


def test_set_variables_are_parsed(monkeypatch):
    """Numbers, the usual spellings of on/off and comma-separated lists are read as such."""
    monkeypatch.setenv("PORTAL_H6", "7")
    assert (env_str("PORTAL_H6", ""), env_int("PORTAL_H6", 0), env_float("PORTAL_H6", 0.0)) == ("7", 7, 7.0)
    for value, expected in (("1", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("OFF", False)):
        monkeypatch.setenv("PORTAL_H6", value)
        assert env_bool("PORTAL_H6", not expected) is expected
    monkeypatch.setenv("PORTAL_H6", "a.example, b.example")
    assert env_list("PORTAL_H6", "") == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        (lambda: env_int("PORTAL_H6", 1), "ten", "PORTAL_H6 must be a whole number, not 'ten'"),
        (lambda: env_float("PORTAL_H6", 1.0), "1,5", "PORTAL_H6 must be a number, not '1,5'"),
        (lambda: env_bool("PORTAL_H6", True), "maybe", "PORTAL_H6 must be 1 or 0"),
    ],
)
def test_unreadable_values_name_the_variable(monkeypatch, read, value, message):
    """A value that cannot be read stops start-up with the variable's name, not a bare ValueError."""
    monkeypatch.setenv("PORTAL_H6", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        read()


def test_the_package_itself_is_no_settings_module(tmp_path):
    """A deployment still naming portal.settings (one module before the split) is told which module to choose."""
    result = run_settings("portal.settings", tmp_path)
    assert result.returncode != 0
    assert "choose portal.settings.production, portal.settings.development or portal.settings.test" in result.stderr
    assert not (tmp_path / "keys.json").exists()

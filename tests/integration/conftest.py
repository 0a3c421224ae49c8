"""A real Daphne process on loopback with the Redis channel layer, for socket tests.

Migrating and seeding a fresh SQLite database is the slow part of every integration test, so the
session does it once (``var_templates``: a migrated and a migrated + demo-seeded ``PORTAL_VAR_DIR``)
and each test starts from a copy (``var_copy``), which takes milliseconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def _template_env(var: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.development",
        "PORTAL_VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture(scope="session")
def var_templates(tmp_path_factory) -> dict[str, Path]:
    """A migrated and a migrated + demo-seeded ``PORTAL_VAR_DIR`` (SQLite file, keys, media), made once."""
    migrated = tmp_path_factory.mktemp("var-migrated")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=_template_env(migrated), check=True
    )
    seeded = tmp_path_factory.mktemp("var-seeded")
    shutil.copytree(migrated, seeded, dirs_exist_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=_template_env(seeded),
        check=True,
        capture_output=True,
    )
    return {"migrated": migrated, "seeded": seeded}


def var_copy(template: Path, prefix: str) -> Path:
    """A new ``PORTAL_VAR_DIR`` holding a copy of ``template`` (its database, keys and media)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.copytree(template, tmp, dirs_exist_ok=True)
    return tmp


@pytest.fixture(scope="session")
def daphne_redis(var_templates):
    """Daphne serving portal.asgi with REDIS_URL set (Redis DB from REDIS_URL_FOR_TESTS)."""
    tmp = var_copy(var_templates["seeded"], "portal-daphne-")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.development",
        "PORTAL_VAR_DIR": str(tmp),
        "REDIS_URL": os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/6"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "STAFF_2FA_REQUIRED": "0",  # staff log in with the demo passwords
    }
    env.pop("DATABASE_URL", None)
    process, url = daphne_start(env=env, port=port, log_path=tmp / "daphne.log")
    yield {"url": url, "ws": f"ws://127.0.0.1:{port}", "env": env, "var": tmp}
    process.terminate()
    process.wait(timeout=10)


def daphne_start(*, env: dict, port: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Daphne serving portal.asgi on ``port`` with ``env``, once /healthz answers; its output goes to ``log_path``."""
    log = open(log_path, "w")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.serve", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(log_path.read_text())

"""Test settings (pytest): development with fast password hashing, tasks run in-process, mail kept in memory.

Tests that exercise the task worker itself switch TASKS back to the database backend.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from portal.settings.development import *  # noqa: F403
from portal.settings.development import CACHES, CHANNEL_LAYERS, REDIS_URL, TASKS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": TASKS["default"]["QUEUES"],
    }
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each test worker journals erasures into its own file outside the checkout (tests of the journal set their own).
ERASURE_JOURNAL_PATH = Path(tempfile.gettempdir()) / f"portal-test-erasures-{os.getpid()}.jsonl"
CONSENT_WITNESS_FILE = ""  # tests of the ledger witnesses configure their own
# The fixtures log staff in with a password only; tests of two-factor sign-in switch it on.
STAFF_2FA_REQUIRED = False
# Tests assert English stemming on PostgreSQL whatever SEARCH_LANGUAGE_CONFIG the shell has.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "portal.search_backend", "SEARCH_CONFIG": "english"}}

# Parallel test workers must not share a Redis database: cache.clear() flushes the whole
# database, so worker gwN uses database <REDIS_URL's number> + N.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
if REDIS_URL:
    _parts = urlsplit(REDIS_URL)
    _db = int(_parts.path.strip("/") or 0) + int(_worker.removeprefix("gw") or 0)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_db}"))
    CACHES["default"]["LOCATION"] = REDIS_URL
    for _layer in CHANNEL_LAYERS.values():
        _hosts = _layer.get("CONFIG", {}).get("hosts", [])
        for _index, _host in enumerate(_hosts):
            if isinstance(_host, dict):
                _host["address"] = REDIS_URL
            else:
                _hosts[_index] = REDIS_URL

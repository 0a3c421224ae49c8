"""Test settings: the real settings with fast password hashing and tasks run in-process.

Tests that exercise the task worker itself switch TASKS back to the database backend.
"""

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": TASKS["default"]["QUEUES"],  # noqa: F405
    }
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Parallel test workers must not share a Redis database: cache.clear() flushes the whole
# database, so worker gwN uses database <REDIS_URL's number> + N.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # noqa: F405
if REDIS_URL:  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(REDIS_URL)  # noqa: F405
    _db = int(_parts.path.strip("/") or 0) + int(_worker.removeprefix("gw") or 0)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_db}"))
    CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
    for _layer in CHANNEL_LAYERS.values():  # noqa: F405
        _hosts = _layer.get("CONFIG", {}).get("hosts", [])
        for _index, _host in enumerate(_hosts):
            if isinstance(_host, dict):
                _host["address"] = REDIS_URL
            else:
                _hosts[_index] = REDIS_URL

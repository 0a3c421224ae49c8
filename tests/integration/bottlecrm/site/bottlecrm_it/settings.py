"""BottleCRM settings for the portal's integration test: SQLite file, Celery eager, loopback only.

Everything is BottleCRM's own ``crm.settings`` except:

- the database: one SQLite file (``BOTTLECRM_IT_DB``). BottleCRM's own test settings run its
  suite on SQLite; row-level security is PostgreSQL-only and its helpers return early on SQLite,
  so a single-tenant test instance loses nothing. A migrated copy is cached between runs.
- Celery runs tasks eagerly in the request (its own test settings do the same with the memory
  broker), so a webhook delivery has happened when the API call that caused it answers.
- ``bottlecrm_it`` is installed so its ``ready()`` can let webhooks reach the portal on loopback.
"""

import os

from crm.settings import *  # noqa: F403

DEBUG = True  # webhooks.ssrf allows plain http (the portal's live server) only with DEBUG
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [*INSTALLED_APPS, "bottlecrm_it.apps.BottleCrmItConfig"]  # noqa: F405

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["BOTTLECRM_IT_DB"],
        "OPTIONS": {"timeout": 20},
    }
}

CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = os.path.join(os.getcwd(), "media")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bottlecrm-it"}}

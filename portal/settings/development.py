"""Development (the default of manage.py, asgi and wsgi): DEBUG on, keys generated once into var/.

Nothing needs to be set: SQLite under var/, in-memory cache and channel layers unless REDIS_URL is
set, e-mails printed to the console unless EMAIL_HOST is set.
"""

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403
from portal.settings.base import keys_checked
from portal.settings.env import env_bool, env_list

# DJANGO_DEBUG=0 once switched the same module to production behaviour; a deployment that still
# relies on it must not start silently with DEBUG on and development keys.
if not env_bool("DJANGO_DEBUG", True):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG=0 no longer selects production settings: set DJANGO_SETTINGS_MODULE=portal.settings.production"
    )

DEBUG = True
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

_keys = keys_checked(development=True)
SECRET_KEY = _keys["SECRET_KEY"]
PSEUDONYM_KEYS = _keys["PSEUDONYM_KEYS"]
RECEIPT_SIGNING_KEY = _keys["RECEIPT_SIGNING_KEY"]
FIELD_ENCRYPTION_KEY = _keys["FIELD_ENCRYPTION_KEY"]
BLIND_INDEX_KEY = _keys["BLIND_INDEX_KEY"]

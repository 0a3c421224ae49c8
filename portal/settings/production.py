"""Production: DEBUG off, real keys required, HTTPS only, hashed and compressed static files.

Refuses to start when a key is missing or is a development key (portal.keys).
"""

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403
from portal.settings.base import STORAGES, keys_checked
from portal.settings.env import env_bool, env_int

DEBUG = False

_keys = keys_checked(development=False)
SECRET_KEY = _keys["SECRET_KEY"]
PSEUDONYM_KEYS = _keys["PSEUDONYM_KEYS"]
RECEIPT_SIGNING_KEY = _keys["RECEIPT_SIGNING_KEY"]
FIELD_ENCRYPTION_KEY = _keys["FIELD_ENCRYPTION_KEY"]
BLIND_INDEX_KEY = _keys["BLIND_INDEX_KEY"]

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)  # 0 only without a TLS proxy (try-outs)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if env_bool("DJANGO_BEHIND_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Staff accounts can re-identify members and download their data: a password alone is never enough here.
if not env_bool("STAFF_2FA_REQUIRED", True):
    raise ImproperlyConfigured("STAFF_2FA_REQUIRED=0 is refused in production: staff must use two-factor sign-in")
STAFF_2FA_REQUIRED = True

"""Settings per environment: base (shared), development, production and test; see README "Configuration"."""

import os

from django.core.exceptions import ImproperlyConfigured

# Before the split this package was one module; a deployment still naming it would otherwise start
# with no settings at all and fail on an unrelated, empty SECRET_KEY.
if os.environ.get("DJANGO_SETTINGS_MODULE", "").strip() == "portal.settings":
    raise ImproperlyConfigured(
        "DJANGO_SETTINGS_MODULE=portal.settings names the settings package: "
        "choose portal.settings.production, portal.settings.development or portal.settings.test"
    )

"""Settings shared by every environment, each read from its environment variable (README "Configuration").

Development, production and test extend this module; app code reads only what is declared here
(or Django's own defaults), which tests/portal/test_settings_declared.py enforces.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from portal.keys import load_keys
from portal.settings.env import env_bool, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = False
VAR_DIR = env_path("PORTAL_VAR_DIR", BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Key material. Empty: development generates the key once into var/keys.json, production refuses to start.
SECRET_KEY = env_str("SECRET_KEY", "")
PSEUDONYM_KEYS = env_str("PSEUDONYM_KEYS", "")  # "version:key,...", highest version current
RECEIPT_SIGNING_KEY = env_str("RECEIPT_SIGNING_KEY", "")
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "")
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY", "")  # HMAC key of the blind indexes over encrypted e-mail addresses


def keys_checked(*, development: bool) -> dict[str, str]:
    """The keys above, completed from var/keys.json in development and refused when weak in production."""
    declared = {
        "SECRET_KEY": SECRET_KEY,
        "PSEUDONYM_KEYS": PSEUDONYM_KEYS,
        "RECEIPT_SIGNING_KEY": RECEIPT_SIGNING_KEY,
        "FIELD_ENCRYPTION_KEY": FIELD_ENCRYPTION_KEY,
        "BLIND_INDEX_KEY": BLIND_INDEX_KEY,
    }
    return load_keys(debug=development, var_dir=VAR_DIR, environ=declared)


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "portal",
    "theme",
    "consent",
    "consent.dsar",
    "consent.campaigns",
    "community",
    "community.chat",
    "ideas",
    "knowledgebase",
    "crm",
    "api",
    "api.webhooks",
    "insight",
    "intake",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "portal.users_app.WagtailUsersConfig",  # wagtail.users with views for encrypted addresses (portal.users_admin)
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "ninja",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads query or form values: control characters out, paths holding them refused.
    "portal.input_middleware.InputNormalisationMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff (and members who switched it on) verify a second factor before any other page.
    "portal.two_factor.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "knowledgebase.page_cache.KBPageMiddleware",
    # Last, so it sees the lockout flag the login attempt set and answers with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Storage -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE lets the web process and the task worker share one file safely. secure_delete zeroes
    # what an update or a deletion frees, so an erased or re-encrypted value does not linger in the file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON; PRAGMA optimize=0x10002;"
        ),
    }
DATABASE_POOL = env_bool("DATABASE_POOL", DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql")
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 2)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 10)
DATABASE_POOL_TIMEOUT = env_float("DATABASE_POOL_TIMEOUT", 10.0)  # seconds a request waits for a free connection
if DATABASE_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One pool per process (psycopg_pool): Daphne's thread-per-request sync views share at most
    # max_size connections instead of keeping one each. Django requires CONN_MAX_AGE 0 with a pool.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": DATABASE_POOL_MIN_SIZE,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")  # empty: in-memory cache and channel layers (one process only)
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 1000)
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "portal")
# A stopped Redis must cost a page little: a short connect timeout, then no new attempt for a while.
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 0.5)
REDIS_CACHE_RETRY_SECONDS = env_float("REDIS_CACHE_RETRY_SECONDS", 5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # Connection errors read as cache misses (portal.cache), so pages are served while Redis is down.
            "BACKEND": "portal.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": 2,
                "RETRY_SECONDS": REDIS_CACHE_RETRY_SECONDS,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis with connections that survive a Redis restart (portal.channel_layers).
            "BACKEND": "portal.channel_layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                        # redis-py 8 reads with a 5 s socket timeout, equal to channels_redis' 5 s BZPOPMIN:
                        # an idle receive loop would die with TimeoutError and take the consumers with it.
                        "socket_timeout": 30,
                    }
                ],
                "capacity": 1500,
                "expiry": 30,
                "prefix": CACHE_KEY_PREFIX + ":asgi",
            },
        }
    }
    # The live chat fans one message out to many sockets: with pub/sub a process receives a group
    # message once and hands it to its local sockets (community.chat; missed lines are replayed by seq).
    CHANNEL_LAYERS["chat"] = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": CACHE_KEY_PREFIX + ":chat"},
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            # Room for the post and thread-row fragments of the pages in use (portal.fragments).
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "email", "crm", "privacy", "webhooks"],
    }
}
# A worker (manage.py run_worker) renews its heartbeat every third of the lease; the recovery job
# re-queues the tasks of a worker silent for longer, up to TASK_MAX_ATTEMPTS runs, then fails them.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 60)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3)

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Forum pages ---------------------------------------------------------------
FORUM_THREADS_PER_PAGE = env_int("FORUM_THREADS_PER_PAGE", 25)
FORUM_POSTS_PER_PAGE = env_int("FORUM_POSTS_PER_PAGE", 50)

# --- Accounts ------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (address, account) pair or address before any password is checked.
    "portal.auth_backends.LoginThrottleBackend",
    "portal.auth_backends.PortalModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# The address is encrypted at rest, so its column cannot be unique; its blind index (email_index) is, and the
# manager's get_by_natural_key looks it up there (portal.encrypted_fields).
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors get no object permissions
GUARDIAN_MONKEY_PATCH_USER = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
ACCOUNT_CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 3
# Login throttling (django-axes, portal.login_throttle): failures count per (client address, account) and
# per client address; a lock never covers the account from other addresses. Each failure past a limit
# doubles the cool-off, up to the maximum. A completed password reset unlocks the account.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)  # per client address and account
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)  # per client address, any accounts
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)  # first cool-off
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 86400)
AXES_HANDLER = "portal.login_throttle.LoginThrottleHandler"
# Axes resets and reports by the pair; portal.login_throttle adds the per-address budget itself, so a
# successful login (AXES_RESET_ON_SUCCESS) clears only its own pair, never the address' count.
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_FAILURE_LIMIT = "portal.login_throttle.failure_limit"
# A browser that just completed a password reset passes for that one account, even from a locked address.
AXES_WHITELIST_CALLABLE = "portal.login_throttle.owner_verified"
AXES_COOLOFF_TIME = "portal.login_throttle.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True  # each record expires after its own (growing) cool-off
AXES_CLIENT_IP_CALLABLE = "portal.client_address.client_ip"
AXES_USERNAME_FORM_FIELD = "username"  # the portal's and Wagtail's login forms both post "username"
AXES_USERNAME_CALLABLE = "portal.login_throttle.attempted_username"
AXES_LOCKOUT_CALLABLE = "portal.login_throttle.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # no record of successful logins (data minimisation)
AXES_ENABLE_ADMIN = False  # staff see lockouts in the Wagtail back office (portal.admin_lockouts)
AXES_VERBOSE = False
PASSWORD_RESET_PER_EMAIL_PER_HOUR = env_int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", 3)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = env_int("PASSWORD_RESET_PER_CLIENT_PER_HOUR", 10)
SIGNUP_RATE_PER_HOUR = env_int("SIGNUP_RATE_PER_HOUR", 10)
SIGNUP_NOTICES_PER_HOUR = env_int("SIGNUP_NOTICES_PER_HOUR", 3)  # "someone tried to sign up" mails per address
# Two-factor sign-in (portal.two_factor, django-otp): every staff role must verify a second factor.
# Off by default so the demo logins of `make run` work; production always requires it (and refuses to
# start when STAFF_2FA_REQUIRED=0 is set there).
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = env_str("PORTAL_NAME", "Community")  # the account's name in the authenticator app
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds: the wait after wrong codes doubles from this (django-otp)
OTP_STATIC_THROTTLE_FACTOR = 1

# --- E-mail ---------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")  # empty: e-mails are printed to the console
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Community <community@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = env_str("DEFAULT_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
# Wagtail pages exist once per content language (a German and an English tree, translated with
# wagtail.contrib.simple_translation). URLs carry no language prefix: a page's path is served from
# the tree of the reader's active language (Wagtail's own routing through ``site.root_page.localized``).
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Largest profile picture a member may upload (portal.avatars); it is stored re-encoded at 256 px, much smaller.
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Wagtail ------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env_str("PORTAL_NAME", "Community")
WAGTAIL_PAGE_MODEL = "wagtailcore.Page"  # Wagtail's default, declared because migrations name the page model through it
WAGTAILADMIN_BASE_URL = PORTAL_BASE_URL
# The back office's "forgot password" finds the account through the blind index (addresses are encrypted).
WAGTAILADMIN_USER_PASSWORD_RESET_FORM = "portal.users_admin.AdminPasswordResetForm"
# PostgreSQL's text search configuration: the stemming and stop words of the content's language
# (SQLite's full-text search has neither). Changing it needs `manage.py update_index`.
WAGTAILSEARCH_BACKENDS = {
    "default": {
        # Wagtail's database backend; on SQLite it doubles quotes inside terms so FTS5 takes them literally.
        "BACKEND": "portal.search_backend",
        "SEARCH_CONFIG": env_str("SEARCH_LANGUAGE_CONFIG", "german" if LANGUAGE_CODE == "de" else "english"),
    }
}
# Ranking by relevance: PostgreSQL scores in the matching query; SQLite's FTS backend scores every hit
# with a subquery that reruns the match (cost grows with the square of the hits), so on SQLite results
# come in their natural order (answered and recent threads first) unless this is switched on.
SEARCH_RANK_BY_RELEVANCE = env_bool("SEARCH_RANK_BY_RELEVANCE", not DATABASES["default"]["ENGINE"].endswith("sqlite3"))
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
# The last approval of a page's workflow publishes it; approvers need no publish permission (portal.workflows).
WAGTAIL_FINISH_WORKFLOW_ACTION = "portal.workflows.publish_approved"
WAGTAILADMIN_NOTIFICATION_USE_HTML = True
# No Gravatar: the back office shows the member's own picture or the generated one (portal.wagtail_hooks).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Security (production adds HTTPS-only cookies, HSTS and the SSL redirect) ----------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy of the site (django-csp): inline <script> and <style> run only with the
# request's nonce (`nonce="{{ request.csp_nonce }}"`), inline style="" attributes not at all.
# Wagtail's admin needs inline scripts and eval: /admin/ gets portal.middleware.CSP_ADMIN instead.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],  # no third-party image: readers never call out (issue 17)
        "style-src": [SELF, NONCE],
        "script-src": [SELF, NONCE],
        "connect-src": [SELF, "ws:", "wss:"],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Posting: personal data spotted before publishing (portal.pii) ------------------------
# Regions whose national phone formats ("030 1234567", "(415) 555-0132") are recognised; numbers
# written with +<country code> or 00<country code> are recognised for every country.
PII_PHONE_REGIONS = env_list("PII_PHONE_REGIONS", "DE,AT,CH,GB,US")
# Drafts of replies and questions (kept on the server while a member writes) are removed this many
# days after their last change; the DPO can change the period in the retention settings.
DRAFT_RETENTION_DAYS = env_int("DRAFT_RETENTION_DAYS", 30)
# Largest image a member may upload into a post (bytes); a larger upload is refused before it is read.
POST_IMAGE_MAX_BYTES = env_int("POST_IMAGE_MAX_BYTES", 5 * 1024 * 1024)

# --- Privacy core: the controller named in receipts and the record of processing -------
CONSENT_CONTROLLER = env_str("CONSENT_CONTROLLER", WAGTAIL_SITE_NAME)
CONSENT_CONTROLLER_CONTACT = env_str("CONSENT_CONTROLLER_CONTACT", "Data protection officer")
CONSENT_CONTROLLER_ADDRESS = env_str("CONSENT_CONTROLLER_ADDRESS", "")
CONSENT_CONTROLLER_EMAIL = env_str("CONSENT_CONTROLLER_EMAIL", DEFAULT_FROM_EMAIL)
CONSENT_CONTROLLER_PHONE = env_str("CONSENT_CONTROLLER_PHONE", "")
CONSENT_JURISDICTION = env_str("CONSENT_JURISDICTION", "DE")
CONSENT_CHECKPOINT_EVERY = env_int("CONSENT_CHECKPOINT_EVERY", 64)  # ledger events per checkpoint
CONSENT_CHECKPOINT_MINUTES = env_int("CONSENT_CHECKPOINT_MINUTES", 60)
CONSENT_OPT_IN_HOURS = env_int("CONSENT_OPT_IN_HOURS", 48)  # double opt-in link lifetime
# Newsletter campaigns (consent/campaigns) go out one after another, at most this many mails a minute.
NEWSLETTER_MAILS_PER_MINUTE = env_int("NEWSLETTER_MAILS_PER_MINUTE", 300)
# Witnesses outside the database get every signed ledger checkpoint: an append-only JSON-lines file
# (put it on another volume), an e-mail address (e.g. the DPO's mailbox), an HTTP endpoint (POST, JSON).
CONSENT_WITNESS_FILE = env_str("CONSENT_WITNESS_FILE", str(VAR_DIR / "ledger-witness.jsonl"))  # "": none
CONSENT_WITNESS_EMAIL = env_str("CONSENT_WITNESS_EMAIL", "")
CONSENT_WITNESS_URL = env_str("CONSENT_WITNESS_URL", "")
# Every erasure is also journalled here (ids and times only), outside the database: replay_erasures
# re-applies it after a backup restore. Keep it on storage the database backups do not overwrite.
ERASURE_JOURNAL_PATH = env_path("ERASURE_JOURNAL_PATH", VAR_DIR / "erasure-journal.jsonl")
# Public keys (base64url) of retired receipt signing keys: receipts they signed still verify.
RECEIPT_RETIRED_PUBLIC_KEYS = env_list("RECEIPT_RETIRED_PUBLIC_KEYS", "")
DSAR_INACTIVE_GRACE_DAYS = env_int("DSAR_INACTIVE_GRACE_DAYS", 30)
# Erasure from the DPO console waits for a second, different DPO's approval (four-eyes principle).
DSAR_ERASURE_SECOND_APPROVAL = env_bool("DSAR_ERASURE_SECOND_APPROVAL", False)
# A member who deletes their own account is erased this many days later; signing in before cancels it.
ACCOUNT_DELETION_GRACE_DAYS = env_int("ACCOUNT_DELETION_GRACE_DAYS", 7)

# --- Live chat ------------------------------------------------------------------------
CHAT_CONNECTION_FRAMES = env_int("CHAT_CONNECTION_FRAMES", 20)  # frames per socket and window
CHAT_CONNECTION_WINDOW = env_float("CHAT_CONNECTION_WINDOW", 10.0)  # seconds
CHAT_MEMBER_MESSAGES_PER_MINUTE = env_int("CHAT_MEMBER_MESSAGES_PER_MINUTE", 30)
CHAT_STARTS_PER_HOUR = env_int("CHAT_STARTS_PER_HOUR", 10)
# How sure the chat help bot must be (0..1: the share of the question's words a KB article or accepted answer
# covers, title words counting fully) before it offers that answer; below it the member goes to a person.
CHAT_BOT_MIN_SCORE = env_float("CHAT_BOT_MIN_SCORE", 0.6)
CHAT_TRANSCRIPT_RETENTION_DAYS = env_int("CHAT_TRANSCRIPT_RETENTION_DAYS", 30)
CHAT_TRANSCRIPT_CONSENTED_RETENTION_DAYS = env_int("CHAT_TRANSCRIPT_CONSENTED_RETENTION_DAYS", 365)

# --- Intake (mailboxes into interest cards) -------------------------------------------
INTAKE_POLL_BATCH = env_int("INTAKE_POLL_BATCH", 500)  # mails per mailbox and poll
INTAKE_MAIL_MAX_BYTES = env_int("INTAKE_MAIL_MAX_BYTES", 40 * 1024 * 1024)  # larger: header and body start only
INTAKE_IMAP_TIMEOUT = env_float("INTAKE_IMAP_TIMEOUT", 30.0)  # seconds per IMAP call

# --- CRM delivery -------------------------------------------------------------------
CRM_HTTP_TIMEOUT = env_float("CRM_HTTP_TIMEOUT", 0.0) or None  # 0: 10 s, 3 s to connect
CRM_BACKOFF_BASE_SECONDS = env_float("CRM_BACKOFF_BASE_SECONDS", 2.0)
CRM_BACKOFF_CAP_SECONDS = env_float("CRM_BACKOFF_CAP_SECONDS", 3600.0)
CRM_DRAIN_MAX_ROWS = env_int("CRM_DRAIN_MAX_ROWS", 200)  # sends per delivery task
CRM_DRAIN_SECONDS = env_float("CRM_DRAIN_SECONDS", 5.0)

# --- REST API (api/) -----------------------------------------------------------------
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120)  # requests per token and minute

# --- Outbound webhooks (api/webhooks) -------------------------------------------------
WEBHOOK_HTTP_TIMEOUT = env_float("WEBHOOK_HTTP_TIMEOUT", 10.0)  # seconds per delivery attempt
WEBHOOK_BACKOFF_BASE_SECONDS = env_float("WEBHOOK_BACKOFF_BASE_SECONDS", 5.0)
WEBHOOK_BACKOFF_CAP_SECONDS = env_float("WEBHOOK_BACKOFF_CAP_SECONDS", 6 * 3600.0)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12)  # then the delivery is dead
# Consecutive failed attempts after which a subscription is paused and the administrators are told.
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 20)

# --- Insight ----------------------------------------------------------------------
# The class behind insight.analysis (language, mood, keywords); a dotted path to any implementation of Analyser.
INSIGHT_ANALYSER = env_str("INSIGHT_ANALYSER", "insight.analysis.lexical.LexicalAnalyser")
# Any insight figure describing fewer distinct members than this is shown as "< N" (k-anonymity).
INSIGHT_MIN_GROUP = env_int("INSIGHT_MIN_GROUP", 5)
# A forum's or product's negative share this many points above its usual level (8 weeks before) alerts moderators.
INSIGHT_ALERT_RISE = env_float("INSIGHT_ALERT_RISE", 0.15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "daphne": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

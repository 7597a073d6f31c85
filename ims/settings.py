"""IMS settings, read from the environment.

Development defaults need nothing installed: a SQLite file and kombu's filesystem broker
under ``data/``. Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis),
DJANGO_SECRET_KEY and DJANGO_DEBUG=false.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from ims.broker import broker_transport_options
from ims.spectacular import spectacular_settings

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("IMS_DATA_DIR", BASE_DIR / "data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "ims.apps.IMSAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "auditlog",
    "core",
    "accounts",
    "catalog",
    "audit",
    "communications",
    "sla",
    "incidents",
    "knowledge",
    "monitoring",
    "problems",
    "changes",
    "reviews",
    "tooling",
    "simulations",
    "demo",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.IdleSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last: turns a locked-out sign-in into its page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ims.urls"
WSGI_APPLICATION = "ims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'ims.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool; persistent connections must then stay off.
    _db["CONN_MAX_AGE"] = 0
    # No check per checkout (CONN_HEALTH_CHECKS): after a database restart the first request
    # that fails has the pool test all its connections instead (core.db says why).
    if env_bool("DATABASE_POOL", True):
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
            "timeout": 10,
        }
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock up front, so web, worker and beat wait instead of failing.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    if _db["NAME"] not in ("", ":memory:"):
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Front-end packages come from npm (package-lock.json), installed by scripts/setup.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"]
if (NODE_MODULES / "htmx.org" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"))
# Development serves files straight from the finders; production from collectstatic's output.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# API throttles, the bad-token limit and /healthz's limit count in this cache. Local memory
# counts per process (four workers, four times the limit), so production needs Redis:
# without CACHE_URL it refuses to start unless IMS_ALLOW_LOCAL_CACHE says one process is
# all there is.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("CACHE_URL", "").startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
            # a Redis outage must not hold requests longer than a second per call
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif not DEBUG and not env_bool("IMS_ALLOW_LOCAL_CACHE", False):
    raise ImproperlyConfigured(
        "CACHE_URL must point at Redis (redis://host:6379/1) when DJANGO_DEBUG is off: rate limits "
        "are counted in the cache, and local memory counts them per process. Set "
        "IMS_ALLOW_LOCAL_CACHE=true only for a single-process deployment."
    )

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# seconds; a hung SMTP server is a failed attempt of the outbox, retried
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))  # the file backend's folder
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ims@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Delivery of e-mail and webhook communications (communications/outbox.py)
IMS_EXECUTIVES_TEAM = os.environ.get("IMS_EXECUTIVES_TEAM", "executives")  # team code or name
IMS_STAKEHOLDER_EMAILS = os.environ.get("IMS_STAKEHOLDER_EMAILS", "")  # comma-separated
IMS_OUTBOX_LEASE_SECONDS = float(os.environ.get("IMS_OUTBOX_LEASE_SECONDS", "120"))
IMS_OUTBOX_BACKOFF_SECONDS = float(os.environ.get("IMS_OUTBOX_BACKOFF_SECONDS", "30"))
IMS_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("IMS_OUTBOX_MAX_ATTEMPTS", "6"))
IMS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("IMS_WEBHOOK_TIMEOUT_SECONDS", "5"))

# --- Security (production values unless DEBUG) -----------------------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content security policy (django-csp 4): scripts and styles from our own origin only, no
# inline script or style, no eval; the desk's behaviour lives in static/js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Browser sessions end after IMS_SESSION_IDLE_MINUTES without activity
# (core.middleware.IdleSessionMiddleware; lists refreshing themselves are not activity).
IMS_SESSION_IDLE_SECONDS = int(os.environ.get("IMS_SESSION_IDLE_MINUTES", "30")) * 60
# the store's own expiry is the backstop, a little later, so the middleware can say why
SESSION_COOKIE_AGE = IMS_SESSION_IDLE_SECONDS + 300
SESSION_COOKIE_HTTPONLY = True

# Sign-in lockout (django-axes) for the desk's and the admin's login: after
# IMS_LOGIN_FAILURE_LIMIT failures for one username from one address, that pair is refused
# for IMS_LOGIN_COOLOFF_MINUTES (429, the lockout page); the lockout is audited on the
# user. Counted in the database, so shared by every worker. Unlock early with
# `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("IMS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("IMS_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# the cool-off runs from the lockout: attempts while locked out neither count nor extend it
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ADMIN = False  # its pages answer to Django permissions; ours to roles (accounts.admin)
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_address"  # the same address as the throttles
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health checks come over plain HTTP from the orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# /healthz: each check (database, broker) gives up after this many seconds; the result is
# kept this long per process; anonymous callers are limited per address.
IMS_HEALTHZ_TIMEOUT = float(os.environ.get("IMS_HEALTHZ_TIMEOUT", "1"))
IMS_HEALTHZ_CACHE_SECONDS = float(os.environ.get("IMS_HEALTHZ_CACHE_SECONDS", "5"))
IMS_THROTTLE_HEALTHZ = os.environ.get("IMS_THROTTLE_HEALTHZ", "120/minute")

# --- Request size ---------------------------------------------------------------------
# No IMS operation takes more than a few text fields of TEXT_LIMITS; a batch of monitoring
# events may need more (IMS_MAX_REQUEST_BYTES). Refused in the envelope (core.api.parsers).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("IMS_MAX_REQUEST_BYTES", str(1024 * 1024)))

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes DRF answer 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",  # refuses bodies nested too deep to walk
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    # DRF's anon and user limits, failing open while the cache is down (core.throttling)
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("IMS_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("IMS_THROTTLE_USER", "3000/minute"),
    },
    # Who the caller is, for throttles: REMOTE_ADDR, or the address the proxy appends to
    # X-Forwarded-For (never the whole header, which the caller writes).
    "NUM_PROXIES": int(
        os.environ.get("IMS_NUM_PROXIES", "1" if env_bool("DJANGO_BEHIND_PROXY", False) else "0")
    ),
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if not DEBUG:
    # production answers JSON only: no browsable API (its forms, its inline script)
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
# Failed token authentications per address (accounts.authentication): past this rate every
# token from that address is answered 429 until the window has passed.
IMS_THROTTLE_BAD_TOKEN = os.environ.get("IMS_THROTTLE_BAD_TOKEN", "20/minute")

SPECTACULAR_SETTINGS = spectacular_settings()

# --- Audit trail ----------------------------------------------------------------------
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEvent"
# The key of the trail's hash chain and checkpoint signatures. It lives outside the
# database, so whoever owns the database cannot recompute a rewritten chain.
IMS_AUDIT_KEY = os.environ.get("IMS_AUDIT_KEY", "")
if not IMS_AUDIT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("IMS_AUDIT_KEY must be set when DJANGO_DEBUG is off.")
    IMS_AUDIT_KEY = "ims-insecure-development-only-audit-key-do-not-use-in-production"
# Every checkpoint is also appended here, so emptying the database does not erase the anchor.
IMS_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("IMS_AUDIT_CHECKPOINT_FILE", DATA_DIR / "audit-checkpoints.jsonl")
)
# Seed policy: "retention per organizational policy"; 2555 days is about seven years.
IMS_AUDIT_RETENTION_DAYS = int(os.environ.get("IMS_AUDIT_RETENTION_DAYS", "2555"))

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_FOLDER = Path(os.environ.get("CELERY_BROKER_FOLDER", DATA_DIR / "broker"))
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, CELERY_BROKER_FOLDER)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- IMS policy knobs -----------------------------------------------------------------
IMS_GRACE_PERIOD_DAYS = int(os.environ.get("IMS_GRACE_PERIOD_DAYS", "3"))
IMS_BREACH_NOTIFICATION_HOURS = int(os.environ.get("IMS_BREACH_NOTIFICATION_HOURS", "72"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

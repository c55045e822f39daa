"""Settings shared by every profile, read from the environment.

With nothing set the site runs on an embedded default: a SQLite file, Celery
tasks executed eagerly in-process and email printed to the console.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to Redis as Celery
broker, result backend and cache.
"""

import json
import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list from the environment."""
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DJANGO_ENV = "local"

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "django-insecure-local-development-key-never-use-in-production"
)
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
ROOT_URLCONF = "ordersite.urls"
WSGI_APPLICATION = "ordersite.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_fsm",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ordersite",
    "inventory",
    "orders",
    "returns",
]

MIDDLEWARE = [
    "ordersite.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ordersite.middleware.NullCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ordersite.middleware.CustomerErrorPagesMiddleware",
    "ordersite.middleware.DatabaseBusyMiddleware",
]
# A request id sent by a trusted proxy (as a META key), kept on our side too.
REQUEST_ID_HEADER = os.environ.get("REQUEST_ID_HEADER", "HTTP_X_REQUEST_ID")

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
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# ------------------------------------------------------------------------------
# Cache, Celery
# ------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ordersite.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer fails fast, without redis-py's retries
            # with backoff; callers degrade (rate limits count per process).
            "OPTIONS": {
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                "retry": Retry(NoBackoff(), 1),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker: run tasks in-process, synchronously, and let their errors surface.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
# Our tasks report through the database (events, alerts); a task that wants its
# result stored in the backend says so with ignore_result=False.
CELERY_TASK_IGNORE_RESULT = True
# Longer than any retry delay, so an unacknowledged task is not redelivered early.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(
        os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(2 * 3600))
    ),
    # Queuing after a commit gives up quickly when Redis is down (the outbox's
    # sweeper sends the message later) instead of holding the request.
    "socket_connect_timeout": 3,
}
CELERY_BEAT_SCHEDULE = {
    "orders-auto-complete": {"task": "orders.auto_complete", "schedule": 3600},
    "outbox-sweep": {
        "task": "outbox.sweep",
        "schedule": int(os.environ.get("OUTBOX_SWEEP_SECONDS", "120")),
    },
    # Late orders become delay cases (orders/delays); far below the visibility timeout.
    "orders-scan-delays": {
        "task": "orders.scan_delays",
        "schedule": int(os.environ.get("ORDERS_DELAY_SCAN_SECONDS", "300")),
    },
    "inventory-low-stock": {
        "task": "inventory.check_low_stock",
        "schedule": int(os.environ.get("INVENTORY_LOW_STOCK_CHECK_SECONDS", "3600")),
    },
}

# The stock ledger's report index carries extra columns on PostgreSQL only; on
# SQLite (the embedded default) it is a plain index, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"

# ------------------------------------------------------------------------------
# Internationalisation
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# One date and time format per language (ordersite/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["ordersite.formats"]
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static files (Bootstrap is vendored under static/, never loaded from a CDN)
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (photos of returned items): private, never under STATIC or a
# public URL; the pages that may show one serve it after their access check.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media-not-served/"
# A photo is at most this many bytes, and a request at most this many photos.
RETURNS_PHOTO_MAX_BYTES = int(os.environ.get("RETURNS_PHOTO_MAX_BYTES", 5_000_000))
RETURNS_PHOTOS_PER_UPLOAD = 5
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# ------------------------------------------------------------------------------
# Email
# ------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")  # the file-based backend
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "orders@ordersite.local")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # One line per successful task is noise; failures are still logged.
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}

# ------------------------------------------------------------------------------
# ordersite
# ------------------------------------------------------------------------------
ORDERS_CURRENCY = os.environ.get("ORDERS_CURRENCY", "EUR")
# Orders whose total is below this value need only one verifier (the four-eyes
# second check is waived). 0 means every order gets the second check.
ORDERS_SECOND_CHECK_WAIVED_BELOW = Decimal(
    os.environ.get("ORDERS_SECOND_CHECK_WAIVED_BELOW", "0")
)
# seed_demo refuses to run where this is False (it is False in production).
DEMO_DATA_ALLOWED = True
# Where the daily low-stock email goes (comma-separated); empty sends none.
INVENTORY_PURCHASING_EMAILS = env_list(
    "INVENTORY_PURCHASING_EMAILS", "purchasing@ordersite.local"
)
# Stock lasting longer than this many days at the last 30 days' sales rate is overstock.
INVENTORY_OVERSTOCK_DAYS = int(os.environ.get("INVENTORY_OVERSTOCK_DAYS", "90"))
# Ceilings of what staff may enter (never above what the database holds:
# ordersite.limits). Above the "confirm" thresholds the page asks to confirm.
ORDERS_MAX_LINE_QUANTITY = int(os.environ.get("ORDERS_MAX_LINE_QUANTITY", "10000"))
ORDERS_CONFIRM_QUANTITY_ABOVE = int(
    os.environ.get("ORDERS_CONFIRM_QUANTITY_ABOVE", "500")
)
ORDERS_MAX_UNIT_PRICE = Decimal(os.environ.get("ORDERS_MAX_UNIT_PRICE", "100000.00"))
ORDERS_MAX_ORDER_TOTAL = Decimal(
    os.environ.get("ORDERS_MAX_ORDER_TOTAL", "10000000.00")
)
INVENTORY_MAX_QUANTITY = int(os.environ.get("INVENTORY_MAX_QUANTITY", "1000000"))
INVENTORY_CONFIRM_QUANTITY_ABOVE = int(
    os.environ.get("INVENTORY_CONFIRM_QUANTITY_ABOVE", "1000")
)
# Catalogue and list prices include tax (gross) or not (net, the default).
ORDERS_PRICES_INCLUDE_TAX = env_bool("ORDERS_PRICES_INCLUDE_TAX", default=False)
# Whether a refund may be taken as store credit instead of money back.
ORDERS_STORE_CREDIT_ALLOWED = env_bool("ORDERS_STORE_CREDIT_ALLOWED", default=True)
# Days an invoice-with-terms payment is due after the order is placed.
ORDERS_INVOICE_TERMS_DAYS = int(os.environ.get("ORDERS_INVOICE_TERMS_DAYS", "14"))
# Who runs the hosted payment page behind the customer's "Pay now"
# (orders.money.links); "test_card" simulates one on this site.
ORDERS_HOSTED_PAYMENT_PROVIDER = os.environ.get(
    "ORDERS_HOSTED_PAYMENT_PROVIDER", "test_card"
)
# Company details printed on invoices.
ORDERS_COMPANY = {
    "name": os.environ.get("ORDERS_COMPANY_NAME", "ordersite demo shop"),
    "address": os.environ.get(
        "ORDERS_COMPANY_ADDRESS", "Hauptstraße 1, 10115 Berlin, Germany"
    ),
    "vat_id": os.environ.get("ORDERS_COMPANY_VAT_ID", "DE000000000"),
}
# Staff alerted of customer messages and reported problems (comma-separated).
ORDERS_STAFF_ALERT_EMAILS = env_list(
    "ORDERS_STAFF_ALERT_EMAILS", "orders@ordersite.local"
)
# Delays (orders/delays): business hours of business days (Monday–Friday, not a
# holiday in the admin) in TIME_ZONE, which promises and step targets count in.
ORDERS_WORKDAY = os.environ.get("ORDERS_WORKDAY", "09:00-17:00")
# The interval of the team's digest of new delay cases (one email per interval at
# most; the scan runs every ORDERS_DELAY_SCAN_SECONDS, see CELERY_BEAT_SCHEDULE).
ORDERS_DELAY_DIGEST_MINUTES = int(os.environ.get("ORDERS_DELAY_DIGEST_MINUTES", "60"))
# While a case is open the customer hears from us at least this often (an
# automatic "still on track" if nobody wrote), and staff are reminded this many
# hours before, so they can write themselves.
ORDERS_DELAY_UPDATE_DAYS = int(os.environ.get("ORDERS_DELAY_UPDATE_DAYS", "3"))
ORDERS_DELAY_UPDATE_REMIND_HOURS = int(
    os.environ.get("ORDERS_DELAY_UPDATE_REMIND_HOURS", "24")
)
# Who hears of a case whose new date slipped again (empty: the staff alert list).
ORDERS_DELAY_ESCALATION_EMAILS = env_list("ORDERS_DELAY_ESCALATION_EMAILS", "")
# Delivered orders complete by themselves after this many days without a reported problem.
ORDERS_AUTO_COMPLETE_DAYS = int(os.environ.get("ORDERS_AUTO_COMPLETE_DAYS", "14"))
# Status-page lookups allowed per IP address per hour.
TRACK_LOOKUPS_PER_HOUR = int(os.environ.get("TRACK_LOOKUPS_PER_HOUR", "20"))
# Messages a customer may send from one order's page (and one address) per hour.
TRACK_MESSAGES_PER_HOUR = int(os.environ.get("TRACK_MESSAGES_PER_HOUR", "10"))
# Reverse proxies in front of the site that append to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR). The client address is the entry this far from the end.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Carriers staff ship with, and their tracking links ({number} is replaced by the
# tracking number; an empty link means the carrier has no tracking page). Override
# with ORDERS_CARRIERS as JSON: '{"DHL": "https://…{number}", "Own van": ""}'.
ORDERS_CARRIER_TRACKING_URLS = json.loads(
    os.environ.get("ORDERS_CARRIERS", "null")
) or {
    "DHL": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
    "UPS": "https://www.ups.com/track?tracknum={number}",
    "DPD": "https://tracking.dpd.de/status/de_DE/parcel/{number}",
    "GLS": "https://gls-group.com/track/{number}",
}

# ------------------------------------------------------------------------------
# The outbox (emails, staff alerts, refunds, voids, backorder filling)
# ------------------------------------------------------------------------------
# Base of the exponential backoff (seconds) between attempts of a delivery.
OUTBOX_RETRY_BACKOFF_SECONDS = float(
    os.environ.get("OUTBOX_RETRY_BACKOFF_SECONDS", "2")
)
# How long a worker may hold a message while delivering it before another may.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
# A message queued at commit and still not picked up after this is re-sent by the sweeper.
OUTBOX_SWEEP_GRACE_SECONDS = int(os.environ.get("OUTBOX_SWEEP_GRACE_SECONDS", "60"))

# ------------------------------------------------------------------------------
# The integration API (/api/v1/): Django REST framework, documented by
# drf-spectacular (docs/integration.md says why); keys, not sessions.
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["ordersite.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ordersite.api.auth.ScopeRequired"],
    "DEFAULT_THROTTLE_CLASSES": ["ordersite.api.auth.KeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["ordersite.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ordersite.api.problems.problem_response",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ordersite API",
    "DESCRIPTION": "Orders in from online stores and other systems; orders, "
    "stock and returns out. Every error is an RFC 9457 problem.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}
# The largest request body the API reads (bytes); larger ones get 413.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(512 * 1024)))
# A store price the pricing rules disagree with: "flag" (accepted as a manual
# price the verifier sees) or "refuse" (the order is refused, naming the line).
API_PRICE_MISMATCH = os.environ.get("API_PRICE_MISMATCH", "flag")

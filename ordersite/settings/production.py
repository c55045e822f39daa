"""Production: refuses to start without SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL
(PostgreSQL) and REDIS_URL, instead of falling back to the embedded default
(SQLite, eager in-process tasks, a per-process cache).

``python manage.py check --deploy`` prints no warnings under this profile.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASE_URL, DATABASES, REDIS_URL, env_bool, env_list

DJANGO_ENV = "production"
DEBUG = False
DEMO_DATA_ALLOWED = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in production (comma-separated host names)."
    )
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", ",".join(f"https://{host}" for host in ALLOWED_HOSTS)
)
# Without these base.py falls back to SQLite, to running Celery tasks eagerly in the
# web process and to a per-process cache (so the status-page lookup limit would be
# counted per process): fine on a laptop, never in production.
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL must be set in production "
        "(PostgreSQL: postgres://user:password@host:5432/name)."
    )
if DATABASES["default"]["ENGINE"] in {
    "django.db.backends.sqlite3",
    "django.contrib.gis.db.backends.spatialite",
}:
    raise ImproperlyConfigured(
        "DATABASE_URL points to SQLite, but production needs PostgreSQL "
        "(postgres://user:password@host:5432/name)."
    )
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL must be set in production "
        "(the Celery broker and the shared cache: redis://host:6379/0)."
    )

# Keep database connections between requests (one per gunicorn thread), checked
# before reuse: opening a PostgreSQL connection costs more than most pages' queries.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# ------------------------------------------------------------------------------
# HTTPS and cookies
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Secure cookies need HTTPS; only `make prod-like` on this machine (plain HTTP on
# 127.0.0.1) turns them off.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
X_FRAME_OPTIONS = "DENY"

# ------------------------------------------------------------------------------
# Static files: collected, compressed, fingerprinted and served by WhiteNoise
# ------------------------------------------------------------------------------
# WhiteNoise right after SecurityMiddleware, as its documentation asks.
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")  # noqa: F405
MIDDLEWARE = [
    *MIDDLEWARE[: _security + 1],  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_security + 1 :],  # noqa: F405
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# ------------------------------------------------------------------------------
# Email: SMTP
# ------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)

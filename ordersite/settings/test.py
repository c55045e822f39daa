"""Test runs: the local profile with fast hashing and in-memory email."""

from .base import *  # noqa: F403

DJANGO_ENV = "test"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests that want a real worker on Redis start one themselves; everything else
# runs tasks eagerly so a test sees a task's effect at once.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Uploaded photos go to a throw-away folder, never into the checkout.
import tempfile as _tempfile  # noqa: E402

MEDIA_ROOT = Path(_tempfile.mkdtemp(prefix="ordersite-test-media-"))  # noqa: F405

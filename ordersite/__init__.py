"""ordersite: order processing for small and mid-size businesses."""

from ordersite.celery import app as celery_app

__all__ = ("celery_app",)

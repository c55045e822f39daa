"""The Celery app: configured from Django settings under the CELERY_ namespace."""

from celery import Celery

from ordersite.env import set_default_settings_module

set_default_settings_module()

app = Celery("ordersite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

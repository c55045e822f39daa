from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersiteConfig(AppConfig):
    """The project itself as an app: it owns the outbox that every app's side effects go through."""

    name = "ordersite"
    verbose_name = _("Delivery (outbox)")
    default_auto_field = "django.db.models.BigAutoField"

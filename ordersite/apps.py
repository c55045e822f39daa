from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersiteConfig(AppConfig):
    """The project itself as an app: it owns the outbox that every app's side effects go through."""

    name = "ordersite"
    verbose_name = _("Delivery (outbox)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Webhooks out: their outbox kind, and forgetting cached endpoints on change."""
        from django.db.models.signals import post_delete, post_save

        from ordersite.webhooks import sending
        from ordersite.webhooks.models import WebhookEndpoint

        sending.register_kind()
        post_save.connect(sending.endpoints_changed, sender=WebhookEndpoint)
        post_delete.connect(sending.endpoints_changed, sender=WebhookEndpoint)

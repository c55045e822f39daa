from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        """Tell the outbox how inventory's emails are sent."""
        from inventory import alerts

        alerts.register_kinds()

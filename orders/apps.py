from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        """Wire the side effects: outbox senders, and the subscribers of each subject's facts."""
        from orders import conditions
        from orders.events import webhooks  # noqa: F401
        from orders.money import subscribers as money
        from orders.money.position import money_position
        from orders.notifications import emails
        from orders.notifications import subscribers as notifications  # noqa: F401
        from orders.stock import subscribers as stock

        conditions.use_money_position(money_position)
        emails.register_kinds()
        money.register_kinds()
        stock.register_kinds()
        from orders.intake import imports

        imports.register_kind()

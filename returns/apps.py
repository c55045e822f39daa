from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns")

    def ready(self) -> None:
        """Wire the wording of return facts and the emails that follow them."""
        from returns import facts, subscribers  # noqa: F401

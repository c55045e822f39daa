"""What second checkers found wrong (the raw material for accuracy figures)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order


class VerificationIssue(models.Model):
    """A mistake the second checker found; the order went back to its first checker."""

    class Reason(models.TextChoices):
        CUSTOMER_DETAILS = "customer_details", _("Customer details")
        ADDRESS = "address", _("Address")
        WRONG_PRODUCT = "wrong_product", _("Wrong product")
        WRONG_QUANTITY = "wrong_quantity", _("Wrong quantity")
        WRONG_PRICE = "wrong_price", _("Wrong price")
        OTHER = "other", _("Something else")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="verification_issues"
    )
    reason = models.CharField(
        _("what was wrong"), max_length=20, choices=Reason.choices
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    first_checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("verification finding")
        verbose_name_plural = _("verification findings")

    def __str__(self) -> str:
        return f"{self.order}: {self.get_reason_display()}"

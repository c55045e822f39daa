"""The order timeline: one append-only row per fact that happened to an order."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order, OrderStatus


class OrderEvent(models.Model):
    """One entry of an order's timeline; append-only, built by ``orders.events``."""

    class Type(models.TextChoices):
        PLACED = "placed", _("Order placed")
        CHECKED = "checked", _("First check recorded")
        STATUS_CHANGED = "status_changed", _("Status changed")
        STOCK_ALLOCATED = "stock_allocated", _("Stock allocated")
        STOCK_RELEASED = "stock_released", _("Stock released")
        BACKORDERED = "backordered", _("Backordered")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        DISCOUNT = "discount", _("Discount")
        INVOICE = "invoice", _("Invoice or credit note")
        SHIPMENT_CREATED = "shipment_created", _("Shipment created")
        SPLIT = "split", _("Order split")
        NOTE_ADDED = "note_added", _("Internal note added")
        NOTIFICATION_QUEUED = "notification_queued", _("Customer notification queued")
        CUSTOMER_ISSUE = "customer_issue", _("Problem reported by the customer")
        READ_BACK = "read_back", _("Customer checked the read-back")
        PACK_CHECK = "pack_check", _("Pack check failed")
        CORRECTED = "corrected", _("Order corrected before verification")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(_("type"), max_length=30, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    from_status = models.CharField(
        max_length=20, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    customer_visible = models.BooleanField(_("visible to the customer"), default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.message}"

    def save(self, *args, **kwargs) -> None:
        # The timeline is an audit trail: rows are written once and never rewritten.
        if not self._state.adding:
            raise ValueError("Order events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise ValueError("Order events are append-only and cannot be deleted.")

    @property
    def actor_label(self) -> str:
        """Who acted, for staff: a user name or 'system'."""
        return self.actor.get_username() if self.actor_id else str(_("system"))

"""Where webhooks go, and every attempt to deliver one."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    """What an endpoint can subscribe to."""

    ORDER_PLACED = "order.placed", _("Order placed")
    ORDER_STATUS_CHANGED = "order.status_changed", _("Order status changed")
    ORDER_SHIPPED = "order.shipped", _("Parcel shipped (with tracking)")
    REFUND_ISSUED = "refund.issued", _("Refund issued")
    ORDER_DELAYED = "order.delayed", _("Order delayed (cause and new date)")
    RETURN_UPDATED = "return.updated", _("Return requested or moved on (RMA status)")


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """A URL that gets the chosen events, signed with its own secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        help_text=_("Give it to the receiver to verify the webhook-signature header."),
    )
    owner_email = models.EmailField(
        _("owner's email"),
        blank=True,
        help_text=_("Told when the endpoint is disabled."),
    )
    active = models.BooleanField(_("active"), default=True)
    # Deliveries given up on in a row; at the limit the endpoint is disabled.
    failures_in_a_row = models.PositiveIntegerField(default=0, editable=False)
    disabled_reason = models.CharField(max_length=255, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class WebhookAttempt(models.Model):
    """One try to deliver one webhook (the outbox row holds the message)."""

    message = models.ForeignKey(
        "ordersite.OutboxMessage",
        on_delete=models.CASCADE,
        related_name="webhook_attempts",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts"
    )
    webhook_id = models.CharField(max_length=64)
    event = models.CharField(max_length=40)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.CharField(max_length=255, blank=True)
    milliseconds = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.event} {self.webhook_id} → {self.status_code or self.error}"

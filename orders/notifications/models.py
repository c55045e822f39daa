"""Customer notifications: the emails an order produced."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order


# ------------------------------------------------------------------------------
# Customer notifications (an outbox sent by Celery)
# ------------------------------------------------------------------------------
class Notification(models.Model):
    """One email to a customer, written in the transaction of the change that causes it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent (customer opted out)")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    essential = models.BooleanField(
        _("transactional"),
        default=True,
        help_text=_("Sent even to customers who opted out."),
    )
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    # While a worker holds the row; a row still "sending" after this was abandoned.
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("customer notification")
        verbose_name_plural = _("customer notifications")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email} ({self.get_status_display()})"

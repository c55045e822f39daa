"""The outbox: one row per side effect to carry out after a change commits."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """Something to deliver after commit: an email, a staff alert, a refund, a webhook…

    Written in the transaction of the change that causes it (so a rolled-back
    change leaves none), delivered by ``ordersite.outbox`` with a claim, a lease,
    retries with backoff and a sweeper. ``payload`` holds ids and codes, which
    the kind's sender turns into the real thing when it runs.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # While a worker holds the row; a row still "sending" after this was abandoned.
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The sweeper reads only undelivered rows, whatever the table's size.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status="sending"),
                name="outbox_sending_lease",
            ),
            models.Index(fields=["kind", "status"], name="outbox_kind_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"


from ordersite.api.models import ApiKey, IdempotentRequest  # noqa: E402

__all__ = ["ApiKey", "IdempotentRequest", "OutboxMessage"]
from ordersite.webhooks.models import WebhookAttempt, WebhookEndpoint  # noqa: E402

__all__ += ["WebhookAttempt", "WebhookEndpoint"]

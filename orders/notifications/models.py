"""Customer notifications: the emails an order produced, as the customer received them."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order


class NotificationKind(models.TextChoices):
    """Every email a customer may get about an order (text in ``templates/emails/orders/``)."""

    RECEIVED = "order_received", _("Order received")
    READ_BACK = "order_read_back", _("Please check your order")
    VERIFIED = "order_verified", _("Order confirmed")
    BACKORDERED = "order_backordered", _("Waiting for stock")
    MOVING_AGAIN = "order_moving_again", _("Moving again")
    SPLIT = "order_split", _("Ships in two parts")
    PAID = "order_paid", _("Payment received")
    SHIPPED = "order_shipped", _("Shipped")
    PARTLY_SHIPPED = "order_partly_shipped", _("Part of the order shipped")
    DELIVERED = "order_delivered", _("Delivered: did you get everything?")
    COMPLETED = "order_completed", _("Thank you")
    CANCELLED = "order_cancelled", _("Cancelled")
    REFUNDED = "order_refunded", _("Refund made")
    BALANCE_DUE = "order_balance_due", _("Payment still due")
    MESSAGE = "order_message", _("Reply from the shop")
    DELAYED = "order_delayed", _("Delayed: the cause and a new date")
    STILL_DELAYED = "order_still_delayed", _("Still delayed")
    NEW_DATE = "order_new_date", _("New delivery date")
    DELAY_UPDATE = "order_delay_update", _("Delay: still on track")
    RETURN_REQUESTED = "return_requested", _("Return: request received")
    RETURN_APPROVED = "return_approved", _("Return: approved, how to send it")
    RETURN_REJECTED = "return_rejected", _("Return: not accepted")
    RETURN_RECEIVED = "return_received", _("Return: parcel arrived")
    RETURN_INSPECTED = "return_inspected", _("Return: inspected, the outcome")
    RETURN_EXCHANGED = "return_exchanged", _("Return: exchanged, the replacement")


class Notification(models.Model):
    """One email to a customer, written in the transaction of the change that causes it.

    Its delivery (attempts, retries, failure) is an outbox row (``delivery``);
    an optional email to a customer who opted out is kept, marked ``skipped``,
    and never sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent (customer opted out)")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind.choices)
    essential = models.BooleanField(
        _("transactional"),
        default=True,
        help_text=_("Sent even to customers who opted out."),
    )
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField()
    body_html = models.TextField()
    skipped = models.BooleanField(
        _("not sent (opted out)"),
        default=False,
        help_text=_("An optional email the customer chose not to get."),
    )
    # Set on an email staff sent again: the one whose words it repeats.
    resent_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resends",
        verbose_name=_("sent again from"),
    )
    delivery = models.OneToOneField(
        "ordersite.OutboxMessage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notification",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("customer notification")
        verbose_name_plural = _("customer notifications")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email} ({self.get_status_display()})"

    @property
    def status(self) -> str:
        """Where the email stands: its delivery's status, or skipped."""
        if self.skipped or self.delivery_id is None:
            return self.Status.SKIPPED
        return self.delivery.status

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def attempts(self) -> int:
        return self.delivery.attempts if self.delivery_id else 0

    @property
    def last_error(self) -> str:
        return self.delivery.last_error if self.delivery_id else ""

    @property
    def sent_at(self):
        return self.delivery.sent_at if self.delivery_id else None

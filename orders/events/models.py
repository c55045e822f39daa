"""The order timeline: one append-only row per fact that happened to an order.

Each row is a *typed fact*: a type from ``EventType``, who acted (staff, the
system, the customer or an integration) and structured data: ids, amounts,
codes, quantities. Never prose and never a copy of personal data: a fact about
a note, a message, a problem or an address refers to that row by id, so
erasing personal data never means rewriting the audit trail. The words staff
and customers read are produced when the timeline is shown
(``orders.events.timeline``); rows are written only by ``orders.events.record``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order, OrderStatus
from ordersite.actors import ActorKind


class EventType(models.TextChoices):
    # The order itself
    PLACED = "placed", _("Order placed")
    CORRECTED = "corrected", _("Corrected before verification")
    NOTE_ADDED = "note_added", _("Internal note added")
    HELD = "held", _("Put on hold")
    HOLD_RELEASED = "hold_released", _("Hold released")
    ASSIGNED = "assigned", _("Assigned")
    CANCELLED = "cancelled", _("Cancelled")
    # Verification
    FIRST_CHECK_RECORDED = "first_check_recorded", _("First check recorded")
    VERIFIED = "verified", _("Verified")
    SENT_BACK = "sent_back", _("Sent back to the first checker")
    # Stock
    ALLOCATED = "allocated", _("Stock allocated")
    BACKORDERED = "backordered", _("Backordered")
    SPLIT_OFF = "split_off", _("Backordered lines split off")
    SPLIT_FROM = "split_from", _("Split from another order")
    # Money
    DISCOUNT_CODE_APPLIED = "discount_code_applied", _("Discount code applied")
    DISCOUNT_GRANTED = "discount_granted", _("Discount given")
    DISCOUNT_REMOVED = "discount_removed", _("Discount removed")
    PAYMENT_STARTED = "payment_started", _("Payment started")
    PAYMENT_AUTHORIZED = "payment_authorized", _("Payment authorized")
    PAYMENT_CAPTURED = "payment_captured", _("Payment captured")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    PAYMENT_VOID_REQUESTED = "payment_void_requested", _("Payment void requested")
    PAYMENT_VOIDED = "payment_voided", _("Payment voided")
    BALANCE_REQUESTED = "balance_requested", _("Balance requested")
    PAID = "paid", _("Paid")
    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
    CREDIT_NOTE_ISSUED = "credit_note_issued", _("Credit note issued")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUNDED = "refunded", _("Refunded")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    REFUND_RETRIED = "refund_retried", _("Refund retried")
    # Fulfilment
    PICKING_STARTED = "picking_started", _("Picking started")
    PACK_CHECK_FAILED = "pack_check_failed", _("Pack check failed")
    PACKED = "packed", _("Packed")
    PARCEL_SHIPPED = "parcel_shipped", _("Parcel shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    # The customer's side
    READ_BACK_SENT = "read_back_sent", _("Read-back sent")
    READ_BACK_CONFIRMED = "read_back_confirmed", _("Read-back confirmed")
    READ_BACK_DISPUTED = "read_back_disputed", _("Read-back disputed")
    CUSTOMER_MESSAGE = "customer_message", _("Message from the customer")
    STAFF_REPLIED = "staff_replied", _("Reply to the customer")
    PROBLEM_REPORTED = "problem_reported", _("Problem reported")
    PROBLEM_RESOLVED = "problem_resolved", _("Problem resolved")
    EMAIL_PREFERENCES_CHANGED = (
        "email_preferences_changed",
        _("Email preferences changed"),
    )
    # Promises and delays
    PROMISE_CHANGED = "promise_changed", _("Promised dates changed")
    DELAY_OPENED = "delay_opened", _("Delay detected")
    DELAY_EXPLAINED = "delay_explained", _("Customer told of the delay")
    DELAY_ESCALATED = "delay_escalated", _("Delay escalated")
    DELAY_ANSWERED = "delay_answered", _("Customer chose how to go on")
    DELAY_UPDATE_DUE = "delay_update_due", _("Staff reminded to update the customer")
    DELAY_UPDATE_SENT = "delay_update_sent", _("Customer updated on the delay")
    DELAY_CLOSED = "delay_closed", _("Delay case closed")
    COMPENSATION_PROPOSED = "compensation_proposed", _("Compensation awaits approval")
    COMPENSATION_OFFERED = "compensation_offered", _("Compensation offered")
    COMPENSATION_ACCEPTED = "compensation_accepted", _("Compensation accepted")
    GIFT_ADDED = "gift_added", _("Free gift added")
    # Returns (recorded by ``returns.facts``)
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURN_APPROVED = "return_approved", _("Return approved")
    RETURN_REJECTED = "return_rejected", _("Return rejected")
    RETURN_CANCELLED = "return_cancelled", _("Return cancelled")
    RETURN_RECEIVED = "return_received", _("Returned parcel received")
    RETURN_INSPECTED = "return_inspected", _("Return inspected")
    RETURN_AMOUNT_SET = "return_amount_set", _("Return refund set by a manager")
    RETURN_REFUNDED = "return_refunded", _("Return refunded")
    RETURN_EXCHANGED = "return_exchanged", _("Return exchanged")
    RETURN_CLOSED = "return_closed", _("Return closed")
    RETURN_FEEDBACK = "return_feedback", _("Customer rated the return")
    # Notifications
    EMAIL_QUEUED = "email_queued", _("Email queued")
    EMAIL_RESENT = "email_resent", _("Email sent again")


class OrderEvent(models.Model):
    """One fact on an order's timeline; append-only, written by ``orders.events.record``."""

    Type = EventType

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    actor_kind = models.CharField(
        _("actor"), max_length=12, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    integration = models.CharField(
        _("integration"),
        max_length=100,
        blank=True,
        help_text=_("The API client that acted, for an integration."),
    )
    from_status = models.CharField(
        max_length=20, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    customer_visible = models.BooleanField(_("visible to the customer"), default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [models.Index(fields=["type", "created_at"], name="event_type_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor_kind=ActorKind.STAFF, actor__isnull=False)
                | (~Q(actor_kind=ActorKind.STAFF) & Q(actor__isnull=True)),
                name="orderevent_staff_actor_is_a_user",
            ),
            models.CheckConstraint(
                condition=Q(actor_kind=ActorKind.INTEGRATION, integration__gt="")
                | (~Q(actor_kind=ActorKind.INTEGRATION) & Q(integration="")),
                name="orderevent_integration_is_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.get_type_display()}"

    def save(self, *args, **kwargs) -> None:
        # The timeline is an audit trail: rows are written once and never rewritten.
        if not self._state.adding:
            raise ValueError("Order events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise ValueError("Order events are append-only and cannot be deleted.")

    @property
    def topic(self) -> str:
        """The name this fact is published under (``orders.<type>``)."""
        return topic(self.type)

    @property
    def actor_label(self) -> str:
        """Who acted, for staff: a user name, the customer, an integration or 'system'."""
        if self.actor_kind == ActorKind.STAFF and self.actor_id:
            return self.actor.get_username()
        if self.actor_kind == ActorKind.INTEGRATION:
            return self.integration
        return str(ActorKind(self.actor_kind).label).lower()


def topic(event_type: str) -> str:
    """The publish/subscribe topic of an order fact."""
    return f"orders.{event_type}"

"""What was paid: payments, refunds, store credit, invoices and credit notes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from orders.core.models import ZERO, Order, SafeRefreshMixin
from orders.customer.models import Customer


class Payment(SafeRefreshMixin, ConcurrentTransitionMixin, models.Model):
    """Money received, or to be received, for an order, through one payment provider.

    The status is a state machine changed only by ``orders.money.payments`` and
    ``orders.money.refunds``.
    """

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        CARD_BY_PHONE = "card_by_phone", _("Card taken by phone")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
        INVOICE = "invoice", _("Invoice with payment terms")
        STORE_CREDIT = "store_credit", _("Store credit")
        ONLINE_STORE = "online_store", _("Paid in the online store")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        AUTHORIZED = "authorized", _("Authorized")
        CAPTURED = "captured", _("Captured")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        FAILED = "failed", _("Failed")
        VOIDED = "voided", _("Voided")

    P = Status
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=30, default="manual")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, help_text=_("Amount asked for.")
    )
    amount_captured = models.DecimalField(
        _("amount captured"), max_digits=12, decimal_places=2, default=ZERO
    )
    amount_refunded = models.DecimalField(
        _("amount refunded"), max_digits=12, decimal_places=2, default=ZERO
    )
    status = FSMField(
        _("status"), default=Status.PENDING, choices=Status.choices, protected=True
    )
    reference = models.CharField(_("provider reference"), max_length=200, blank=True)
    card_last4 = models.CharField(_("card ending"), max_length=4, blank=True)
    due_date = models.DateField(
        _("due date"),
        null=True,
        blank=True,
        help_text=_("For invoices with payment terms."),
    )
    failure_message = models.CharField(_("failure"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The key of the page it was submitted from: the same page sent twice records once.
    submission_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="payment_submitted_once",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount_captured__gte=0)
                & Q(amount_captured__lte=models.F("amount")),
                name="payment_capture_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0)
                & Q(amount_refunded__lte=models.F("amount_captured")),
                name="payment_refund_within_capture",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_method_display()} {self.amount} ({self.get_status_display()})"
        )

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        held_by_payments(self.order_id)

    @property
    def net_captured(self) -> Decimal:
        """What this payment holds now: captured less refunded."""
        return self.amount_captured - self.amount_refunded

    # Lifecycle: only orders.money.payments and .refunds call these.
    @transition(field=status, source=P.PENDING, target=P.AUTHORIZED)
    def authorize(self, *, reference: str) -> None:
        self.reference = reference or self.reference

    @transition(field=status, source=[P.PENDING, P.AUTHORIZED], target=P.FAILED)
    def fail(self, *, message: str) -> None:
        self.failure_message = message[:255]

    @transition(field=status, source=P.AUTHORIZED, target=P.CAPTURED)
    def capture(self, *, amount: Decimal, reference: str) -> None:
        self.amount_captured = amount
        self.reference = reference or self.reference

    @transition(field=status, source=[P.PENDING, P.AUTHORIZED], target=P.VOIDED)
    def void(self) -> None:
        """The money was never taken; nothing is owed either way."""

    @transition(
        field=status,
        source=[P.CAPTURED, P.PARTIALLY_REFUNDED],
        target=RETURN_VALUE(P.PARTIALLY_REFUNDED, P.REFUNDED),
    )
    def record_refund(self, *, amount: Decimal) -> str:
        self.amount_refunded += amount
        return (
            self.Status.REFUNDED
            if self.amount_refunded >= self.amount_captured
            else self.Status.PARTIALLY_REFUNDED
        )


def held_by_payments(order_id: int) -> None:
    """Keep ``Order.amount_held`` equal to the money position's ``held``: captured,
    less what went back to the payments, as store credit, or is on its way back.
    Runs in the caller's transaction (the services lock the order row first);
    Payment and Refund saves call it."""
    held = (
        Payment.objects.filter(order_id=order_id).aggregate(
            v=models.Sum(models.F("amount_captured") - models.F("amount_refunded"))
        )["v"]
        or ZERO
    )
    going_back = (
        Refund.objects.filter(order_id=order_id)
        .filter(
            Q(status__in=[Refund.Status.PENDING, Refund.Status.PROCESSING])
            | Q(outcome=Refund.Outcome.STORE_CREDIT, status=Refund.Status.SUCCEEDED)
        )
        .aggregate(v=models.Sum("amount"))["v"]
        or ZERO
    )
    Order.objects.filter(pk=order_id).update(amount_held=held - going_back)


# ------------------------------------------------------------------------------
# Refunds and store credit
# ------------------------------------------------------------------------------
class Refund(models.Model):
    """Money going back to a customer: to one payment's method, or as store credit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    class Outcome(models.TextChoices):
        ORIGINAL_METHOD = "original_method", _("To the original payment method")
        STORE_CREDIT = "store_credit", _("As store credit")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=255)
    # Calling payment_refund twice with one key refunds once; a key covers the
    # refund rows of one request, one per payment it draws on.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # Why the refund failed (the provider's refusal, or the last error), for staff.
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    # Its latest trip to the provider through the outbox (attempts, next try).
    delivery = models.OneToOneField(
        "ordersite.OutboxMessage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="refund_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key", "payment"],
                name="refund_once_per_key_and_payment",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(payment__isnull=True),
                name="refund_store_credit_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(outcome="store_credit", payment__isnull=True)
                | Q(outcome="original_method", payment__isnull=False),
                name="refund_destination_matches_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} for {self.order_id} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        held_by_payments(self.order_id)


class StoreCreditEntry(models.Model):
    """One change of a customer's store credit; the balance is their sum."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="store_credit_entries"
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive when issued."),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.OneToOneField(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entry",
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entry",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "pk"]
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="storecredit_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.amount:+}"


# ------------------------------------------------------------------------------
# Invoices and credit notes
# ------------------------------------------------------------------------------
class DocumentSequence(models.Model):
    """The last number used in a series and year; locked while a number is taken."""

    series = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year"], name="documentsequence_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class Invoice(models.Model):
    """An invoice for a paid order, or a credit note for a refund; immutable once issued."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=30, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_note",
    )
    issued_at = models.DateTimeField(default=timezone.now)
    currency = models.CharField(max_length=3)
    net = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # Everything printed, frozen at issue: later changes never alter an invoice.
    content = models.JSONField(default=dict)

    class Meta:
        ordering = ["-year", "kind", "-sequence"]
        verbose_name = _("invoice or credit note")
        verbose_name_plural = _("invoices and credit notes")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "sequence"], name="invoice_gap_free_series"
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="invoice"),
                name="invoice_one_per_order",
            ),
        ]

    def __str__(self) -> str:
        return self.number


def new_link_token() -> str:
    import secrets

    return secrets.token_hex(16)


class PaymentLink(models.Model):
    """A customer's "Pay now": the amount due when they clicked, paid on the
    provider's hosted page and recorded once, however often they come back."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the customer")
        PAID = "paid", _("Paid")

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="payment_links"
    )
    token = models.CharField(max_length=64, unique=True, default=new_link_token)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    provider = models.CharField(_("provider"), max_length=30)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Card attempts refused so far: each new attempt is its own submission, while
    # the same attempt sent twice is one.
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")

    def __str__(self) -> str:
        return f"{self.order} {self.amount} ({self.status})"

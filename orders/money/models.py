"""Money on an order: price lists, tax rates, discounts, payments, refunds, store credit, invoices."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from orders.core.models import ZERO, Order
from orders.customer.models import Customer, CustomerGroup


class Payment(ConcurrentTransitionMixin, models.Model):
    """Money received, or to be received, for an order, through one payment provider.

    The status is a state machine changed only by ``orders.payments``.
    """

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        CARD_BY_PHONE = "card_by_phone", _("Card taken by phone")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
        INVOICE = "invoice", _("Invoice with payment terms")
        STORE_CREDIT = "store_credit", _("Store credit")

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

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
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

    @property
    def net_captured(self) -> Decimal:
        """What this payment holds now: captured less refunded."""
        return self.amount_captured - self.amount_refunded

    # Lifecycle: only orders.payments calls these.
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


# ------------------------------------------------------------------------------
# Pricing: agreed price lists and tax rates
# ------------------------------------------------------------------------------
class PriceList(models.Model):
    """Prices agreed with one customer or one customer group, for a period."""

    name = models.CharField(_("name"), max_length=100)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="price_lists",
    )
    group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="price_lists",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(
                condition=(Q(customer__isnull=False) & Q(group__isnull=True))
                | (Q(customer__isnull=True) & Q(group__isnull=False)),
                name="pricelist_for_customer_or_group",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListEntry(models.Model):
    """A unit price for a product from a quantity on (a quantity break)."""

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="entries"
    )
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.CASCADE, related_name="price_entries"
    )
    min_quantity = models.PositiveIntegerField(_("from quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["price_list", "product", "min_quantity"]
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"],
                name="pricelistentry_one_per_break",
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=1) & Q(unit_price__gte=0),
                name="pricelistentry_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} from {self.min_quantity}: {self.unit_price}"


class TaxRate(models.Model):
    """The rate of one tax class in one destination country."""

    tax_class = models.ForeignKey(
        "inventory.TaxClass",
        on_delete=models.PROTECT,
        to_field="code",
        related_name="rates",
    )
    country = models.CharField(_("country"), max_length=2)
    rate = models.DecimalField(
        _("rate"), max_digits=6, decimal_places=4, help_text=_("0.1900 for 19 %.")
    )

    class Meta:
        ordering = ["country", "tax_class"]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.UniqueConstraint(
                fields=["tax_class", "country"], name="taxrate_one_per_class_country"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=1), name="taxrate_between_0_and_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.tax_class_id}: {self.rate:%}"


# ------------------------------------------------------------------------------
# Discounts
# ------------------------------------------------------------------------------
class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    FIXED = "fixed", _("Fixed amount")


class DiscountCode(models.Model):
    """A code customers or staff enter for a discount; also issued as compensation."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DiscountKind.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Percent, or an amount."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="discount_codes",
        help_text=_("Only this customer may use it (e.g. compensation for a delay)."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("how often it may be used"),
        null=True,
        blank=True,
        help_text=_("Empty: no limit."),
    )
    times_used = models.PositiveIntegerField(_("times used"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0), name="discountcode_value_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="discountcode_percent_at_most_100",
            ),
            # Usage limits hold under concurrency: the increment is conditional
            # and the database refuses one past the limit.
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(times_used__lte=F("max_uses")),
                name="discountcode_within_max_uses",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class OrderDiscount(models.Model):
    """A discount applied to an order: from a code, or given by staff with a reason."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    code = models.ForeignKey(
        DiscountCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uses",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DiscountKind.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_("As last computed."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order discount")
        verbose_name_plural = _("order discounts")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "code"], name="orderdiscount_code_once_per_order"
            ),
            models.CheckConstraint(
                condition=Q(code__isnull=False) | ~Q(reason=""),
                name="orderdiscount_staff_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.code.code if self.code_id else f"{self.value} ({self.reason})"


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

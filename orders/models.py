"""Customers, orders and everything that hangs off an order.

The order lifecycle is a django-fsm state machine on ``Order.status``. The
field is protected: only the transition methods below change it, and only the
functions in ``orders.services`` call those methods.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from orders import conditions
from orders.permissions import ORDER_PERMISSIONS, perm

ZERO = Decimal("0.00")


def new_tracking_token() -> str:
    """A URL-safe token with 192 random bits for the customer's status page."""
    return secrets.token_urlsafe(24)


class Channel(models.TextChoices):
    WEB = "web", _("Online store")
    API = "api", _("Integration API")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    VERIFIED = "verified", _("Verified")
    BACKORDERED = "backordered", _("Backordered")
    ALLOCATED = "allocated", _("Allocated")
    PAID = "paid", _("Paid")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus
# States an order may be held or cancelled from: everything before it leaves us.
BEFORE_SHIPMENT = [
    S.PLACED,
    S.VERIFIED,
    S.BACKORDERED,
    S.ALLOCATED,
    S.PAID,
    S.PICKING,
    S.PACKED,
]
# States in which stock is allocated to the order's lines.
STOCK_ALLOCATED_STATES = [S.ALLOCATED, S.PAID, S.PICKING, S.PACKED]


def can_verify(order: "Order", user) -> bool:
    """Four-eyes: a verifier other than the first checker, unless the check is waived."""
    if not user.has_perm(perm("verify_order")):
        return False
    if conditions.second_check_waived(order):
        return True
    return user.pk != order.first_checked_by_id


class CustomerGroup(models.Model):
    """Customers who share agreed prices (wholesale, cafés, staff…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person or business that orders from us."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("customer group"),
    )
    shipping_address = models.TextField(_("shipping address"))
    shipping_country = models.CharField(
        _("shipping country"), max_length=2, default="DE"
    )
    billing_address = models.TextField(
        _("billing address"),
        blank=True,
        help_text=_("Empty when it is the shipping address."),
    )
    notifications_opt_out = models.BooleanField(
        _("no optional emails"),
        default=False,
        help_text=_("Only transactional order emails are sent."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Order(ConcurrentTransitionMixin, models.Model):
    """One customer order, from placement to completion."""

    # Assigned from the primary key right after insert (ORD-000123); NULL only
    # inside that transaction, and NULLs do not collide under the unique index.
    number = models.CharField(  # noqa: DJ001
        _("number"), max_length=20, unique=True, null=True, editable=False
    )
    tracking_token = models.CharField(
        max_length=64, unique=True, default=new_tracking_token, editable=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    channel_reference = models.CharField(
        _("channel reference"),
        max_length=200,
        blank=True,
        help_text=_(
            "The store's order id, the email's subject, the caller's reference."
        ),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders"
    )
    split_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="splits",
        verbose_name=_("split from"),
        help_text=_("The order whose backordered units this order ships later."),
    )
    status = FSMField(
        _("status"),
        default=S.PLACED,
        choices=OrderStatus.choices,
        protected=True,
        db_index=True,
    )
    held_from = models.CharField(
        _("held from"), max_length=20, choices=OrderStatus.choices, blank=True
    )
    shipping_address = models.TextField(_("shipping address"))
    shipping_country = models.CharField(_("shipping country"), max_length=2)
    billing_address = models.TextField(_("billing address"), blank=True)
    ship_by = models.DateField(_("promised ship-by date"), null=True, blank=True)
    estimated_delivery = models.DateField(
        _("estimated delivery date"), null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(
        _("subtotal"), max_digits=12, decimal_places=2, default=ZERO
    )
    discount_total = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=ZERO
    )
    shipping_total = models.DecimalField(
        _("shipping"), max_digits=12, decimal_places=2, default=ZERO
    )
    tax_total = models.DecimalField(
        _("tax"), max_digits=12, decimal_places=2, default=ZERO
    )
    total = models.DecimalField(
        _("total"), max_digits=12, decimal_places=2, default=ZERO
    )
    first_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first checked by"),
    )
    first_checked_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    placed_at = models.DateTimeField(
        _("placed at"), default=timezone.now, db_index=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            (codename, label) for codename, (label, _r) in ORDER_PERMISSIONS.items()
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0), name="order_total_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["status", "placed_at"])]

    def __str__(self) -> str:
        return self.number or f"Order #{self.pk}"

    def amount_captured(self) -> Decimal:
        """What payments hold against this order now: captured less refunded."""
        totals = self.payments.aggregate(
            captured=Sum("amount_captured"), refunded=Sum("amount_refunded")
        )
        return (totals["captured"] or ZERO) - (totals["refunded"] or ZERO)

    def balance_due(self) -> Decimal:
        """Positive: the customer still owes this; negative: we hold too much."""
        return self.total - self.amount_captured()

    def _mark(self) -> None:
        self.status_changed_at = timezone.now()

    # --------------------------------------------------------------------------
    # Lifecycle. Call these only through orders.services.
    # --------------------------------------------------------------------------
    @transition(
        field=status,
        source=S.PLACED,
        target=S.PLACED,
        conditions=[
            conditions.has_lines,
            conditions.lines_are_priced,
            conditions.not_yet_checked,
        ],
        permission=perm("check_order"),
        custom={"label": _("Record first check")},
    )
    def record_first_check(self, *, by) -> None:
        """Record that ``by`` checked details, quantities and prices."""
        self.first_checked_by = by
        self.first_checked_at = timezone.now()

    @transition(
        field=status,
        source=S.PLACED,
        target=S.VERIFIED,
        conditions=[
            conditions.has_lines,
            conditions.lines_are_priced,
            conditions.first_check_done_or_waived,
        ],
        permission=can_verify,
        custom={"label": _("Confirm verification (second check)")},
    )
    def verify(self, *, by) -> None:
        """Confirm the first check; the order is verified."""
        self.verified_by = by
        self.verified_at = timezone.now()
        self._mark()

    @transition(
        field=status,
        source=S.PLACED,
        target=S.PLACED,
        conditions=[conditions.first_check_done],
        permission=can_verify,
        custom={"label": _("Send back to the first checker")},
    )
    def send_back(self) -> None:
        """The second checker found a mistake: the first check starts over."""
        self.first_checked_by = None
        self.first_checked_at = None

    @transition(
        field=status,
        source=[S.VERIFIED, S.BACKORDERED],
        target=S.ALLOCATED,
        permission=perm("allocate_order"),
        custom={"label": _("Allocate stock")},
    )
    def allocate(self) -> None:
        """Every line has stock allocated."""
        self._mark()

    @transition(
        field=status,
        source=S.VERIFIED,
        target=S.BACKORDERED,
        permission=perm("allocate_order"),
        custom={"label": _("Backorder")},
    )
    def backorder(self) -> None:
        """Some line could not be allocated; wait for stock."""
        self._mark()

    @transition(
        field=status,
        source=S.ALLOCATED,
        target=S.PAID,
        conditions=[conditions.payments_cover_total],
        permission=perm("record_payment"),
        custom={"label": _("Mark paid")},
    )
    def mark_paid(self) -> None:
        """Captured payments cover the total."""
        self._mark()

    @transition(
        field=status,
        source=S.PAID,
        target=S.PICKING,
        permission=perm("fulfil_order"),
        custom={"label": _("Start picking")},
    )
    def start_picking(self) -> None:
        """The warehouse is picking the order."""
        self._mark()

    @transition(
        field=status,
        source=S.PICKING,
        target=S.PACKED,
        permission=perm("fulfil_order"),
        custom={"label": _("Mark packed")},
    )
    def pack(self) -> None:
        """The order is packed and waits for the carrier."""
        self._mark()

    @transition(
        field=status,
        source=S.PACKED,
        target=S.SHIPPED,
        conditions=[conditions.has_tracked_shipment],
        permission=perm("ship_order"),
        custom={"label": _("Ship")},
    )
    def ship(self) -> None:
        """The order has left with a carrier."""
        self.shipped_at = timezone.now()
        self._mark()

    @transition(
        field=status,
        source=S.SHIPPED,
        target=S.DELIVERED,
        permission=perm("ship_order"),
        custom={"label": _("Mark delivered")},
    )
    def mark_delivered(self) -> None:
        """The carrier delivered the order."""
        self.delivered_at = timezone.now()
        self._mark()

    @transition(
        field=status,
        source=S.DELIVERED,
        target=S.COMPLETED,
        permission=perm("complete_order"),
        custom={"label": _("Complete")},
    )
    def complete(self) -> None:
        """The customer has everything and is satisfied."""
        self.completed_at = timezone.now()
        self._mark()

    @transition(
        field=status,
        source=BEFORE_SHIPMENT,
        target=S.ON_HOLD,
        permission=perm("hold_order"),
        custom={"label": _("Put on hold")},
    )
    def hold(self) -> None:
        """Stop work on the order; remember where it was."""
        self.held_from = self.status
        self._mark()

    @transition(
        field=status,
        source=S.ON_HOLD,
        target=RETURN_VALUE(*BEFORE_SHIPMENT),
        permission=perm("hold_order"),
        custom={"label": _("Release hold")},
    )
    def release_hold(self) -> str:
        """Resume work where the order was held."""
        resumed, self.held_from = self.held_from, ""
        self._mark()
        return resumed

    @transition(
        field=status,
        source=[*BEFORE_SHIPMENT, S.ON_HOLD],
        target=S.CANCELLED,
        conditions=[conditions.nothing_shipped],
        permission=perm("cancel_order"),
        custom={"label": _("Cancel")},
    )
    def cancel(self) -> None:
        """Stop the order for good; stock is released and payments refunded."""
        self.cancelled_at = timezone.now()
        self._mark()

    def holds_stock(self) -> bool:
        """Whether stock is allocated to this order in its current state."""
        if self.status == S.ON_HOLD:
            return self.held_from in STOCK_ALLOCATED_STATES
        return self.status in STOCK_ALLOCATED_STATES


class PriceSource(models.TextChoices):
    CATALOGUE = "catalogue", _("Catalogue price")
    CUSTOMER_LIST = "customer_list", _("Customer's agreed prices")
    GROUP_LIST = "group_list", _("Customer group's agreed prices")
    MANUAL = "manual", _("Manual price")


class OrderLine(models.Model):
    """A product and quantity on an order, priced when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=64, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)
    price_source = models.CharField(
        _("price from"),
        max_length=20,
        choices=PriceSource.choices,
        default=PriceSource.CATALOGUE,
    )
    price_list = models.ForeignKey(
        "PriceList", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    price_reason = models.CharField(
        _("reason for a manual price"), max_length=255, blank=True
    )
    discount_amount = models.DecimalField(
        _("share of order discounts"), max_digits=12, decimal_places=2, default=ZERO
    )
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=6, decimal_places=4, default=Decimal("0")
    )
    tax_amount = models.DecimalField(
        _("tax"), max_digits=12, decimal_places=2, default=ZERO
    )
    backordered_quantity = models.PositiveIntegerField(
        _("missing quantity"),
        default=0,
        help_text=_("Units the last inventory check could not allocate."),
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orderline_quantity_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderline_unit_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class OrderLineAllocation(models.Model):
    """Units of a line reserved in one warehouse's stock."""

    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="allocations"
    )
    stock_item = models.ForeignKey(
        "inventory.StockItem",
        on_delete=models.PROTECT,
        related_name="order_allocations",
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["line", "stock_item"]
        verbose_name = _("line allocation")
        verbose_name_plural = _("line allocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orderlineallocation_quantity_gte_1"
            ),
            models.UniqueConstraint(
                fields=["line", "stock_item"],
                name="orderlineallocation_one_per_stock_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id} from stock item {self.stock_item_id}"


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


class Shipment(models.Model):
    """A parcel that left for the customer with a carrier."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=60)
    tracking_number = models.CharField(
        _("tracking number"), max_length=100, db_index=True
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
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    """How many units of an order line travel in a shipment."""

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["shipment", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="shipmentline_quantity_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class OrderNote(models.Model):
    """An internal note on an order; never shown to the customer."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return self.body[:60]


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
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
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


# ------------------------------------------------------------------------------
# The customer's side: confirmation of receipt, problems, messages
# ------------------------------------------------------------------------------
class OrderFeedback(models.Model):
    """The customer's confirmation that everything arrived, with a rating."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer feedback")
        verbose_name_plural = _("customer feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="orderfeedback_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.rating}/5"


class OrderIssue(models.Model):
    """A problem the customer reported after delivery; the order waits at delivered."""

    class Reason(models.TextChoices):
        MISSING_ITEM = "missing_item", _("Something is missing")
        DAMAGED = "damaged", _("Something arrived damaged")
        WRONG_ITEM = "wrong_item", _("I received the wrong item")
        OTHER = "other", _("Something else")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="issues")
    reason = models.CharField(_("what happened"), max_length=20, choices=Reason.choices)
    details = models.TextField(_("details"), blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer-reported problem")
        verbose_name_plural = _("customer-reported problems")

    def __str__(self) -> str:
        return f"{self.order}: {self.get_reason_display()}"


class CustomerMessage(models.Model):
    """One message in the thread between the customer and staff about an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    from_customer = models.BooleanField(default=True)
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")

    def __str__(self) -> str:
        return self.body[:60]


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

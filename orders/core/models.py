"""The order and its lines: the lifecycle, what was ordered, where its stock is.

The order lifecycle is a django-fsm state machine on ``Order.status``. The
field is protected: only the transition methods below change it, and only the
order services (``orders.<subject>.services``) call those methods.
"""

import secrets
from decimal import Decimal
from enum import nonmember

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from orders import conditions
from orders.permissions import ORDER_PERMISSIONS, perm
from ordersite.limits import QUANTITY_CEILING

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

    # Groups of states, defined once: every rule, query and page asks these.
    # Everything before the order leaves us: it may be held or cancelled.
    BEFORE_SHIPMENT = nonmember(
        ("placed", "verified", "backordered", "allocated", "paid", "picking", "packed")
    )
    # Not shipped yet, held orders included ("past its ship-by date" applies).
    NOT_SHIPPED = nonmember(BEFORE_SHIPMENT + ("on_hold",))
    # Stock is allocated to the order's lines.
    HOLDS_STOCK = nonmember(("allocated", "paid", "picking", "packed"))
    # Prices and discounts may still change: payment has not settled the total.
    PRICES_OPEN = nonmember(("placed", "verified", "backordered", "allocated"))
    # The warehouse may print a pick list for it.
    PICKABLE = nonmember(("allocated", "paid", "picking"))
    # The warehouse is working on it (packing slips).
    IN_FULFILMENT = nonmember(("paid", "picking", "packed"))
    # Nothing more happens to it: it takes no payment, no read-back, no reply to act on.
    FINISHED = nonmember(("completed", "cancelled"))


S = OrderStatus


def can_verify(order: "Order", user) -> bool:
    """Four-eyes: a verifier other than the first checker, unless the check is waived."""
    if not user.has_perm(perm("verify_order")):
        return False
    if conditions.second_check_waived(order):
        return True
    return user.pk != order.first_checked_by_id


class SafeRefreshMixin:
    """``refresh_from_db`` that never switches a protected FSM field's protection off.

    django-fsm's own refresh turns the field's ``protected`` flag off for the
    whole process and back on, which is not thread-safe: under a threaded
    server another request's refresh could meet the flag switched back on and
    fail with "Direct status modification is not allowed" after its change was
    saved. Here the instance forgets its own value instead, so the descriptor
    lets the reload set it, and the flag is never touched.
    """

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # The reload may set a protected field even when ``fields`` leaves it out
        # (the concurrency mixin loads it): forget every one, keep the old value
        # for any the reload does not set.
        kept = {
            attname: self.__dict__.pop(attname)
            for attname in self._get_protected_fsm_fields()
            if attname in self.__dict__
        }
        models.Model.refresh_from_db(
            self, using=using, fields=fields, from_queryset=from_queryset
        )
        for attname, value in kept.items():
            self.__dict__.setdefault(attname, value)
        self._update_initial_state()

    refresh_from_db.alters_data = True


class Order(SafeRefreshMixin, ConcurrentTransitionMixin, models.Model):
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
    # Where an order from another system came from ("api:<integration>",
    # "shopify:<store>") and its id there: unique together, so a retried or
    # repeated delivery finds the order it made instead of making another.
    source = models.CharField(_("source"), max_length=120, blank=True)
    external_id = models.CharField(_("id at the source"), max_length=100, blank=True)
    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.PROTECT, related_name="orders"
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
    # What the payments hold now (captured less refunded to them), kept by
    # Payment.save() in the same transaction, so "not covered" is an indexed
    # filter instead of a sum over every payment. The money position
    # (orders.money.position) stays the full account.
    amount_held = models.DecimalField(
        _("held from payments"), max_digits=12, decimal_places=2, default=ZERO
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
    # Who owns the order now ("my orders"); set and cleared by ``order_assign``.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_orders",
        verbose_name=_("assigned to"),
    )
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    placed_at = models.DateTimeField(
        _("placed at"), default=timezone.now, db_index=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The key of the entry page it was placed from: the same page sent twice places once.
    submission_key = models.CharField(max_length=64, blank=True, default="")

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
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="order_submitted_once",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="order_received_once",
            ),
        ]
        # The staff list sorts by these (newest first by default) with the id as
        # tie-break; each sort and the common filters read one index in order.
        indexes = [
            models.Index(
                fields=["status", "placed_at", "id"], name="order_status_placed"
            ),
            models.Index(fields=["placed_at", "id"], name="order_placed"),
            models.Index(fields=["assigned_to", "status"], name="order_assigned"),
            models.Index(fields=["total", "id"], name="order_total"),
            models.Index(fields=["ship_by", "id"], name="order_ship_by"),
            # The delay scan: orders still open in each respect, so its cost
            # follows the late orders, not the table (orders/delays).
            models.Index(
                fields=["ship_by"],
                name="order_ship_by_open",
                condition=Q(status__in=OrderStatus.NOT_SHIPPED),
            ),
            models.Index(
                fields=["estimated_delivery"],
                name="order_delivery_open",
                condition=Q(status=S.SHIPPED),
            ),
            models.Index(
                fields=["status", "status_changed_at"],
                name="order_in_state_since",
                condition=Q(status__in=OrderStatus.BEFORE_SHIPMENT),
            ),
            # the dashboard's "today" figures
            models.Index(fields=["shipped_at"], name="order_shipped_at"),
            models.Index(fields=["completed_at"], name="order_completed_at"),
            # Return rates read the orders delivered in a period (returns analytics).
            models.Index(
                fields=["delivered_at"],
                condition=Q(delivered_at__isnull=False),
                name="order_delivered_at",
            ),
            models.Index(
                fields=["placed_at", "id"],
                name="order_payment_not_covered",
                condition=Q(amount_held__lt=models.F("total")) & ~Q(status=S.CANCELLED),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Order #{self.pk}"

    def save(self, *args, **kwargs):
        # amount_held is written by the payments alone (held_by_payments); an order
        # loaded before a payment changed must not write its stale copy back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "amount_held"
            ]
        super().save(*args, **kwargs)

    def _mark(self) -> None:
        self.status_changed_at = timezone.now()

    # --------------------------------------------------------------------------
    # Lines carried by the instance. A service that holds the order's lines (the
    # lock with its lines, placement) hands them on, so the conditions, the
    # checklist, the facts and the emails it runs read them without a query.
    # --------------------------------------------------------------------------
    def carry_lines(self, lines: list["OrderLine"]) -> None:
        """Make ``self.lines.all()`` return ``lines`` without a query, as a prefetch does.

        Only for lines that are exactly the order's lines as stored now; whoever
        changes them afterwards keeps these objects up to date or drops them
        (``drop_lines``).
        """
        queryset = self.lines.all()
        queryset._result_cache = list(lines)
        queryset._prefetch_done = True
        cache = self.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[self._lines_cache_name()] = queryset

    def drop_lines(self) -> None:
        """Forget carried lines: the next read goes to the database."""
        getattr(self, "_prefetched_objects_cache", {}).pop(
            self._lines_cache_name(), None
        )

    def line_list(self) -> list["OrderLine"]:
        """The order's lines by id, each with its product: the carried ones, else one query."""
        if self._lines_cache_name() in getattr(self, "_prefetched_objects_cache", {}):
            return list(self.lines.all())
        return list(self.lines.select_related("product"))

    @classmethod
    def _lines_cache_name(cls) -> str:
        return cls.lines.field.remote_field.cache_name

    # --------------------------------------------------------------------------
    # Lifecycle. Call these only through the order services (orders.<subject>.services).
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
        custom={"label": _("Run the inventory check")},
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
        source=S.BEFORE_SHIPMENT,
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
        target=RETURN_VALUE(*S.BEFORE_SHIPMENT),
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
        source=S.NOT_SHIPPED,
        target=S.CANCELLED,
        conditions=[conditions.nothing_shipped],
        permission=perm("cancel_order"),
        custom={"label": _("Cancel order")},
    )
    def cancel(self) -> None:
        """Stop the order for good; stock is released and payments refunded."""
        self.cancelled_at = timezone.now()
        self._mark()

    def holds_stock(self) -> bool:
        """Whether stock is allocated to this order in its current state."""
        if self.status == S.ON_HOLD:
            return self.held_from in S.HOLDS_STOCK
        return self.status in S.HOLDS_STOCK

    @property
    def is_finished(self) -> bool:
        return self.status in S.FINISHED

    @property
    def is_pickable(self) -> bool:
        return self.status in S.PICKABLE

    @property
    def in_fulfilment(self) -> bool:
        return self.status in S.IN_FULFILMENT

    @classmethod
    def transition_label(cls, name: str) -> str:
        """What staff pages and the admin call transition ``name`` (defined once, on the transition)."""
        method = getattr(cls, name, None)
        meta = getattr(method, "_django_fsm", None)
        for candidate in meta.transitions.values() if meta else ():
            if "label" in candidate.custom:
                return str(candidate.custom["label"])
        return name.replace("_", " ")


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
                condition=Q(quantity__lte=QUANTITY_CEILING),
                name="orderline_quantity_ceiling",
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

"""Products, warehouses, stock levels and the append-only stock ledger."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ordersite.limits import QUANTITY_CEILING


class TaxClass(models.Model):
    """How a product is taxed (standard, reduced, zero); rates per country live in orders."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tax class")
        verbose_name_plural = _("tax classes")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something we sell, identified by its SKU."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=12,
        decimal_places=2,
        help_text=_(
            "Catalogue price, net or gross as the ORDERS_PRICES_INCLUDE_TAX setting says."
        ),
    )
    tax_class = models.ForeignKey(
        TaxClass,
        on_delete=models.PROTECT,
        to_field="code",
        default="standard",
        related_name="products",
        verbose_name=_("tax class"),
    )
    category = models.CharField(
        _("category"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("Groups products for the return policy and return rates."),
    )
    active = models.BooleanField(_("active"), default=True)
    returnable = models.BooleanField(_("returnable"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="product_unit_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"


class Warehouse(models.Model):
    """A place that holds stock; exactly one may be the default."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(_("default warehouse"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="warehouse_single_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StockItem(models.Model):
    """How many units of one product a warehouse holds and how many are promised."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="stock_items"
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stock_items"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    reorder_point = models.PositiveIntegerField(
        _("reorder point"),
        default=0,
        help_text=_("Raise a low-stock alert when units available fall to this level."),
    )
    reorder_quantity = models.PositiveIntegerField(
        _("reorder quantity"), default=0, help_text=_("How many units to order then.")
    )
    location = models.CharField(
        _("bin location"),
        max_length=30,
        blank=True,
        help_text=_(
            "Where the units sit, aisle-rack-shelf (e.g. A-03-2); pick lists walk the warehouse in this order."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__sku", "warehouse__code"]
        verbose_name = _("stock item")
        verbose_name_plural = _("stock items")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"],
                name="stockitem_one_per_product_warehouse",
            ),
            # The last line of defence against overselling: the database refuses
            # any write that would make stock negative or over-allocated.
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="stockitem_on_hand_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(on_hand__lte=QUANTITY_CEILING)
                & Q(reorder_point__lte=QUANTITY_CEILING)
                & Q(reorder_quantity__lte=QUANTITY_CEILING),
                name="stockitem_quantities_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="stockitem_allocated_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("on_hand")),
                name="stockitem_allocated_lte_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}"

    @property
    def available(self) -> int:
        """Units on hand that are not promised to an order."""
        return self.on_hand - self.allocated

    @property
    def is_low(self) -> bool:
        """At or under the reorder point (only where a reorder point is set)."""
        return self.reorder_point > 0 and self.available <= self.reorder_point


class StockMovement(models.Model):
    """One change of on-hand or allocated stock; the ledger is append-only."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Goods receipt")
        ALLOCATION = "allocation", _("Allocation to an order")
        RELEASE = "release", _("Release of an allocation")
        SHIPMENT = "shipment", _("Shipment")
        RETURN_RESTOCK = "return_restock", _("Return restocked")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT_CORRECTION = "count_correction", _("Stock count correction")
        REVERSAL = "reversal", _("Reversal of an earlier movement")

    stock_item = models.ForeignKey(
        StockItem, on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    on_hand_delta = models.IntegerField(_("change on hand"), default=0)
    allocated_delta = models.IntegerField(_("change allocated"), default=0)
    # The order number, receipt or count the movement belongs to.
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system made the change."),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A reversal points at the movement it undoes; a movement is undone once.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    # The key of the page an adjustment was made from: a second submit records nothing.
    submission_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Reports over a period of one kind (30-day shipments) read this; on
        # PostgreSQL from the index alone, which carries the row and the quantity.
        indexes = [
            models.Index(
                fields=["kind", "created_at"],
                name="movement_kind_time_qty",
                include=["stock_item", "on_hand_delta"],
            )
        ]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        permissions = [("adjust_stock", _("Can adjust stock levels by hand"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0, allocated_delta=0),
                name="stockmovement_changes_something",
            ),
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="stockmovement_submitted_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="stockmovement_reversal_names_its_movement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stock_item_id}: {self.on_hand_delta:+}/{self.allocated_delta:+}"

    def save(self, *args, **kwargs) -> None:
        # Append-only: a ledger row once written is never rewritten.
        if not self._state.adding:
            raise ValueError("Stock movements are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    save.alters_data = True


class LedgerCheckpoint(models.Model):
    """What one stock row's ledger summed to through a movement id, as last verified.

    ``audit_stock`` adds only the movements after it (and always the last few
    minutes', in case a slow transaction commits a lower id late), so the audit
    costs what happened since the last run, not the whole history.
    ``audit_stock --full`` sums everything again and rewrites the checkpoints.
    """

    stock_item = models.OneToOneField(
        StockItem,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ledger_checkpoint",
    )
    through_movement = models.BigIntegerField()
    on_hand = models.BigIntegerField()
    allocated = models.BigIntegerField()
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")

    def __str__(self) -> str:
        return f"{self.stock_item_id} through {self.through_movement}"


class GoodsReceipt(models.Model):
    """A delivery from a supplier, booked into one warehouse."""

    number = models.CharField(  # noqa: DJ001 - set from the pk right after insert
        _("number"), max_length=20, unique=True, null=True, editable=False
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(_("supplier"), max_length=200)
    supplier_reference = models.CharField(
        _("delivery note / reference"), max_length=100, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The key of the page it was booked from: a second submit books nothing.
    submission_key = models.CharField(max_length=64, blank=True, default="")
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reversal_reason = models.CharField(_("why reversed"), max_length=255, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="goodsreceipt_submitted_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Receipt #{self.pk}"


class GoodsReceiptLine(models.Model):
    """Units of one product in a goods receipt."""

    receipt = models.ForeignKey(
        GoodsReceipt, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["receipt", "pk"]
        verbose_name = _("goods receipt line")
        verbose_name_plural = _("goods receipt lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="goodsreceiptline_quantity_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(quantity__lte=QUANTITY_CEILING),
                name="goodsreceiptline_quantity_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.sku}"


class IncomingStock(models.Model):
    """Units a supplier is expected to deliver, and when: what backordered orders wait
    for. Entered by staff; a goods receipt of the product into the warehouse marks
    it arrived."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    expected_on = models.DateField(_("expected on"))
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    reference = models.CharField(_("purchase order"), max_length=100, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    receipt = models.ForeignKey(
        GoodsReceipt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("arrived with"),
    )

    class Meta:
        ordering = ["expected_on", "pk"]
        verbose_name = _("expected delivery")
        verbose_name_plural = _("expected deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=QUANTITY_CEILING),
                name="incomingstock_quantity_bounded",
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "expected_on"],
                name="incomingstock_open",
                condition=Q(arrived_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.sku} on {self.expected_on:%Y-%m-%d}"


class LowStockAlert(models.Model):
    """A stock item at or under its reorder point; closed when stock recovers."""

    stock_item = models.ForeignKey(
        StockItem, on_delete=models.CASCADE, related_name="low_stock_alerts"
    )
    available_when_raised = models.IntegerField(_("available when raised"))
    reorder_point = models.PositiveIntegerField(_("reorder point"))
    raised_at = models.DateTimeField(auto_now_add=True, db_index=True)
    emailed_at = models.DateTimeField(_("emailed to purchasing"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("low-stock alert")
        verbose_name_plural = _("low-stock alerts")
        constraints = [
            # One open alert per stock item, however often the check runs.
            models.UniqueConstraint(
                fields=["stock_item"],
                condition=Q(closed_at__isnull=True),
                name="lowstockalert_one_open_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"Low stock: {self.stock_item}"


class AlertDigest(models.Model):
    """The one low-stock email of a day; its unique date is what stops a flood."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.CharField(max_length=500)
    alert_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-day"]
        verbose_name = _("low-stock email")
        verbose_name_plural = _("low-stock emails")

    def __str__(self) -> str:
        return f"Low-stock email of {self.day}"


class StockCount(models.Model):
    """A count of a warehouse's stock (all items or a selection), approved by a manager."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open (counting)")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(  # noqa: DJ001 - set from the pk right after insert
        _("number"), max_length=20, unique=True, null=True, editable=False
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or cancelled by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        permissions = [("approve_stockcount", _("Can approve stock counts"))]

    def __str__(self) -> str:
        return self.number or f"Count #{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.OPEN


class StockCountLine(models.Model):
    """One stock item in a count: what the system expected and what was counted."""

    count = models.ForeignKey(
        StockCount, on_delete=models.CASCADE, related_name="lines"
    )
    stock_item = models.ForeignKey(
        StockItem, on_delete=models.PROTECT, related_name="+"
    )
    # On hand per the system at the moment the counted quantity was entered: the
    # discrepancy is measured against it, and approval corrects on-hand by that
    # difference, so movements between counting and approval are not undone.
    expected = models.IntegerField(_("expected"), null=True, blank=True)
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["count", "stock_item__product__sku"]
        verbose_name = _("stock count line")
        verbose_name_plural = _("stock count lines")
        constraints = [
            models.UniqueConstraint(
                fields=["count", "stock_item"], name="stockcountline_one_per_item"
            ),
            models.CheckConstraint(
                condition=Q(counted__lte=QUANTITY_CEILING),
                name="stockcountline_counted_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock_item}: {self.counted}"

    @property
    def discrepancy(self) -> int | None:
        """Counted minus expected; None until both are known."""
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected

"""Products, warehouses, stock levels and the append-only stock ledger."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    """Something we sell, identified by its SKU."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
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

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0, allocated_delta=0),
                name="stockmovement_changes_something",
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

"""What an order costs: agreed price lists, tax rates, discount codes and the discounts on an order."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orders.core.models import ZERO, Order
from orders.customer.models import Customer, CustomerGroup


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
    # The key of the page it was submitted from: the same page sent twice records once.
    submission_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order discount")
        verbose_name_plural = _("order discounts")
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="orderdiscount_submitted_once",
            ),
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

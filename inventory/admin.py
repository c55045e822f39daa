"""Admin for the catalogue and stock. Quantities change only through inventory.services."""

from django import forms
from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from inventory import services
from inventory.models import (
    AlertDigest,
    GoodsReceipt,
    GoodsReceiptLine,
    IncomingStock,
    LowStockAlert,
    Product,
    StockCount,
    StockCountLine,
    StockItem,
    StockMovement,
    Warehouse,
)
from ordersite import limits
from ordersite.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline
from ordersite.limits import BoundedIntegerField


class StockItemInline(ReadOnlyInline):
    model = StockItem
    fields = ["warehouse", "on_hand", "allocated"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit_price", "active", "returnable"]
    list_filter = ["active", "returnable"]
    search_fields = ["sku", "name"]
    inlines = [StockItemInline]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_default", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


class StockItemSettingsForm(forms.ModelForm):
    """Reorder levels within the same bounds the service holds (a form error, never a 500)."""

    reorder_point = BoundedIntegerField(
        label=_("reorder point"), min_value=0, limit=limits.max_stock_quantity
    )
    reorder_quantity = BoundedIntegerField(
        label=_("reorder quantity"), min_value=0, limit=limits.max_stock_quantity
    )

    class Meta:
        model = StockItem
        fields = ["reorder_point", "reorder_quantity", "location"]


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    """Reorder settings are edited here; quantities only ever move through the services."""

    form = StockItemSettingsForm

    fields = [
        "product",
        "warehouse",
        "on_hand",
        "allocated",
        "reorder_point",
        "reorder_quantity",
        "location",
    ]
    readonly_fields = ["product", "warehouse", "on_hand", "allocated"]
    list_editable = ["reorder_point", "reorder_quantity", "location"]
    list_display = [
        "product",
        "warehouse",
        "on_hand",
        "allocated",
        "available",
        "reorder_point",
        "reorder_quantity",
        "location",
    ]
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name", "location"]
    list_select_related = ["product", "warehouse"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(free=F("on_hand") - F("allocated"))
        )

    @admin.display(ordering="free", description="available")
    def available(self, obj: StockItem) -> int:
        return obj.available

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_changelist_form(self, request, **kwargs):
        return StockItemSettingsForm

    def save_model(self, request, obj, form, change) -> None:
        # Never a full save: on_hand and allocated as loaded may be stale by now.
        services.stock_item_configure(
            stock_item=obj,
            reorder_point=obj.reorder_point,
            reorder_quantity=obj.reorder_quantity,
            location=obj.location,
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "stock_item",
        "on_hand_delta",
        "allocated_delta",
        "reference",
        "actor",
        "reason",
    ]
    list_filter = ["kind", "stock_item__warehouse", "created_at"]
    search_fields = ["stock_item__product__sku", "reference", "reason"]
    list_select_related = ["stock_item__product", "stock_item__warehouse", "actor"]
    date_hierarchy = "created_at"


class GoodsReceiptLineInline(ReadOnlyInline):
    model = GoodsReceiptLine
    fields = ["product", "quantity"]


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "received_at",
        "warehouse",
        "supplier",
        "supplier_reference",
        "received_by",
    ]
    list_filter = ["warehouse", "received_at"]
    search_fields = ["number", "supplier", "supplier_reference", "lines__product__sku"]
    list_select_related = ["warehouse", "received_by"]
    inlines = [GoodsReceiptLineInline]


@admin.register(GoodsReceiptLine)
class GoodsReceiptLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["receipt", "product", "quantity"]
    search_fields = ["receipt__number", "product__sku"]
    list_select_related = ["receipt", "product"]


class IncomingStockForm(forms.ModelForm):
    quantity = BoundedIntegerField(
        label=_("quantity"), min_value=1, limit=limits.max_stock_quantity
    )

    class Meta:
        model = IncomingStock
        fields = [
            "product",
            "warehouse",
            "quantity",
            "expected_on",
            "supplier",
            "reference",
        ]


@admin.register(IncomingStock)
class IncomingStockAdmin(admin.ModelAdmin):
    """What suppliers are expected to deliver: backordered orders are promised from it."""

    form = IncomingStockForm
    list_display = [
        "product",
        "warehouse",
        "quantity",
        "expected_on",
        "supplier",
        "arrived_at",
    ]
    list_filter = ["warehouse", ("arrived_at", admin.EmptyFieldListFilter)]
    search_fields = ["product__sku", "product__name", "supplier", "reference"]
    autocomplete_fields = ["product"]
    readonly_fields = ["arrived_at", "receipt"]
    date_hierarchy = "expected_on"


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "stock_item",
        "available_when_raised",
        "reorder_point",
        "raised_at",
        "emailed_at",
        "closed_at",
    ]
    list_filter = [("closed_at", admin.EmptyFieldListFilter), "stock_item__warehouse"]
    search_fields = ["stock_item__product__sku", "stock_item__product__name"]
    list_select_related = ["stock_item__product", "stock_item__warehouse"]


@admin.register(AlertDigest)
class AlertDigestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "sent_at", "recipients", "alert_count"]


class StockCountLineInline(ReadOnlyInline):
    model = StockCountLine
    fields = ["stock_item", "expected", "counted", "counted_by"]


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "warehouse",
        "status",
        "opened_at",
        "opened_by",
        "decided_by",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["number", "note", "lines__stock_item__product__sku"]
    list_select_related = ["warehouse", "opened_by", "decided_by"]
    inlines = [StockCountLineInline]


@admin.register(StockCountLine)
class StockCountLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["count", "stock_item", "expected", "counted", "counted_by"]
    list_filter = ["count__status"]
    search_fields = ["count__number", "stock_item__product__sku"]
    list_select_related = [
        "count",
        "stock_item__product",
        "stock_item__warehouse",
        "counted_by",
    ]

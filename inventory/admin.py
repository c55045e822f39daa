"""Admin for the catalogue and stock. Quantities change only through inventory.services."""

from django.contrib import admin
from django.db.models import F

from inventory.models import Product, StockItem, StockMovement, Warehouse
from ordersite.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline


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


@admin.register(StockItem)
class StockItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["product", "warehouse", "on_hand", "allocated", "available"]
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product", "warehouse"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(free=F("on_hand") - F("allocated"))
        )

    @admin.display(ordering="free", description="available")
    def available(self, obj: StockItem) -> int:
        return obj.available


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

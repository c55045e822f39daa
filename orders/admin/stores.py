"""Online stores (their webhook address and secret) and what they delivered."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orders.intake.models import Delivery, Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "platform",
        "webhook_address",
        "active",
        "accept_test_orders",
    ]
    list_filter = ["platform", "active"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description=_("webhook address"))
    def webhook_address(self, store):
        return reverse("store_webhook", args=[store.slug])


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: deliveries are processed again from the staff page."""

    list_display = [
        "received_at",
        "store",
        "topic",
        "external_id",
        "status",
        "order_link",
    ]
    list_filter = ["status", "store", "topic"]
    search_fields = ["external_id", "delivery_id"]
    list_select_related = ["store", "order"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"))
    def order_link(self, delivery):
        if delivery.order is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("orders:detail", args=[delivery.order.number]),
            delivery.order.number,
        )

"""Admin for the rows around an order: customers, notifications, problems, messages, shipments, the timeline."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from orders.events import timeline
from orders.models import (
    Customer,
    CustomerMessage,
    Notification,
    OrderEvent,
    OrderFeedback,
    OrderIssue,
    OrderLine,
    OrderLineAllocation,
    OrderNote,
    Shipment,
    ShipmentLine,
    VerificationIssue,
)
from ordersite import outbox
from ordersite.admin_utils import (
    ActionOnlyAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
)
from ordersite.models import OutboxMessage


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "group", "shipping_country", "created_at"]
    list_filter = ["shipping_country", "group"]
    search_fields = ["name", "email", "phone"]


@admin.register(Notification)
class NotificationAdmin(ActionOnlyAdminMixin, admin.ModelAdmin):
    """Customer emails as sent; a failed one can be sent again (its outbox row is retried)."""

    action_permission = "orders.change_order"
    list_display = [
        "created_at",
        "order",
        "kind",
        "to_email",
        "delivery_status",
        "skipped",
    ]
    list_filter = ["delivery__status", "kind", "essential", "skipped"]
    search_fields = ["order__number", "to_email", "subject"]
    list_select_related = ["order", "delivery"]
    actions = ["resend_selected"]

    @admin.display(description=_("status"))
    def delivery_status(self, notification: Notification) -> str:
        return notification.get_status_display()

    @admin.action(
        description=_("Send failed notifications again"), permissions=["change"]
    )
    def resend_selected(self, request, queryset):
        failed = queryset.filter(delivery__status=OutboxMessage.Status.FAILED)
        count = sum(
            outbox.send_again(n.delivery) for n in failed.select_related("delivery")
        )
        self.message_user(
            request,
            _("%(n)d notification(s) queued again.") % {"n": count},
            messages.INFO,
        )


@admin.register(OrderIssue)
class OrderIssueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "order", "reason", "details", "resolved_at"]
    list_filter = ["reason", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["order__number", "details"]
    list_select_related = ["order"]


@admin.register(CustomerMessage)
class CustomerMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "order", "from_customer", "staff_author", "body"]
    list_filter = ["from_customer"]
    search_fields = ["order__number", "body"]
    list_select_related = ["order", "staff_author"]


@admin.register(OrderFeedback)
class OrderFeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "order", "rating", "comment"]
    list_filter = ["rating"]
    search_fields = ["order__number", "comment"]


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "created_at"]
    list_filter = ["carrier"]
    search_fields = ["order__number", "tracking_number"]
    list_select_related = ["order"]
    inlines = [ShipmentLineInline]


@admin.register(OrderLineAllocation)
class OrderLineAllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["line", "stock_item", "quantity"]
    search_fields = ["line__order__number", "line__sku"]
    list_select_related = ["line", "stock_item__product", "stock_item__warehouse"]


@admin.register(OrderNote)
class OrderNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "author", "created_at", "body"]
    search_fields = ["order__number", "body"]
    list_select_related = ["order", "author"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every fact on every order: filter by type and actor for audits and metrics."""

    list_display = [
        "created_at",
        "order",
        "type",
        "actor_kind",
        "actor",
        "integration",
        "customer_visible",
        "wording",
    ]
    list_filter = ["type", "actor_kind", "customer_visible", "to_status"]
    search_fields = ["order__number"]
    list_select_related = ["order", "actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("what happened"))
    def wording(self, event: OrderEvent) -> str:
        return timeline.render(event, audience="staff")


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "sku", "name", "quantity", "unit_price", "line_total"]
    list_filter = ["order__status"]
    search_fields = ["order__number", "sku", "name"]
    list_select_related = ["order"]


@admin.register(ShipmentLine)
class ShipmentLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["shipment", "order_line", "quantity"]
    search_fields = [
        "shipment__tracking_number",
        "order_line__sku",
        "shipment__order__number",
    ]
    list_select_related = ["shipment", "order_line"]


@admin.register(VerificationIssue)
class VerificationIssueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What second checkers found: the raw material for accuracy metrics."""

    list_display = [
        "created_at",
        "order",
        "reason",
        "first_checker",
        "found_by",
        "note",
    ]
    list_filter = ["reason", "first_checker"]
    search_fields = ["order__number", "note"]
    list_select_related = ["order", "first_checker", "found_by"]

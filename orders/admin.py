"""Admin for orders. Transitions run through orders.services, never by editing a field."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from orders import services
from orders.exceptions import OrderError
from orders.forms import ReasonForm, ShipForm
from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineAllocation,
    OrderNote,
    Payment,
    Shipment,
    ShipmentLine,
)
from orders.selectors import verification_summary
from ordersite.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "sku",
        "name",
        "quantity",
        "unit_price",
        "line_total",
        "backordered_quantity",
    ]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = [
        "method",
        "amount",
        "amount_refunded",
        "status",
        "reference",
        "created_at",
    ]


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["carrier", "tracking_number", "created_by", "created_at"]


class OrderNoteInline(ReadOnlyInline):
    model = OrderNote
    fields = ["created_at", "author", "body"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = [
        "created_at",
        "type",
        "actor",
        "from_status",
        "to_status",
        "message",
        "customer_visible",
    ]
    ordering = ["-created_at", "-pk"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "shipping_country", "created_at"]
    list_filter = ["shipping_country"]
    search_fields = ["name", "email", "phone"]


def _bulk(name: str, label: str):
    """An admin action running transition ``name`` on each selected order through the services."""

    def action(modeladmin, request, queryset):
        done, failed = 0, []
        for order in queryset.order_by("pk"):
            try:
                services.order_transition(order=order, name=name, actor=request.user)
                done += 1
            except OrderError as exc:
                failed.append(str(exc))
        if done:
            modeladmin.message_user(
                request, _("%(n)d order(s) updated.") % {"n": done}, messages.SUCCESS
            )
        for message in failed:
            modeladmin.message_user(request, message, messages.ERROR)

    action.__name__ = f"bulk_{name}"
    return admin.action(description=label)(action)


@admin.register(Order)
class OrderAdmin(FSMAdminMixin, admin.ModelAdmin):
    fsm_fields = ["status"]
    fsm_forms = {"hold": ReasonForm, "cancel": ReasonForm, "ship": ShipForm}
    list_display = [
        "number",
        "customer",
        "channel",
        "status",
        "total",
        "currency",
        "placed_at",
        "ship_by",
    ]
    list_filter = ["status", "channel", "placed_at", "ship_by"]
    search_fields = [
        "number",
        "customer__email",
        "customer__name",
        "lines__sku",
        "shipments__tracking_number",
    ]
    list_select_related = ["customer"]
    date_hierarchy = "placed_at"
    inlines = [
        OrderLineInline,
        PaymentInline,
        ShipmentInline,
        OrderNoteInline,
        OrderEventInline,
    ]
    actions = [
        _bulk("allocate", _("Run the inventory check")),
        _bulk("start_picking", _("Start picking")),
        _bulk("pack", _("Mark packed")),
        _bulk("mark_delivered", _("Mark delivered")),
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "status",
                    "held_from",
                    "channel",
                    "channel_reference",
                    "customer",
                ]
            },
        ),
        (
            _("Addresses"),
            {"fields": ["shipping_address", "shipping_country", "billing_address"]},
        ),
        (
            _("Dates"),
            {
                "fields": [
                    "placed_at",
                    "ship_by",
                    "estimated_delivery",
                    "status_changed_at",
                ]
            },
        ),
        (
            _("Money"),
            {
                "fields": [
                    "currency",
                    "subtotal",
                    "discount_total",
                    "shipping_total",
                    "tax_total",
                    "total",
                ]
            },
        ),
        (
            _("Verification"),
            {
                "fields": [
                    "verification",
                    "first_checked_by",
                    "first_checked_at",
                    "verified_by",
                    "verified_at",
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_readonly_fields(self, request, obj=None):
        # Every field is written by the services; the admin only shows them.
        return [f.name for f in self.model._meta.fields] + ["verification"]

    @admin.display(description=_("Four-eyes check"))
    def verification(self, obj: Order) -> str:
        return verification_summary(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing here is edited by hand: only the transition buttons act.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Nothing on the form is editable; a transition button posts the form too,
        # and the transition itself is run (and saved) by the services.
        return None

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return str(_("Next step"))

    def get_fsm_label(self, transition) -> str:
        return str(transition.custom.get("label") or transition.name)

    def is_fsm_transition_visible(self, transition) -> bool:
        # "backorder" is an outcome of the inventory check, not a separate button.
        return transition.name != "backorder"

    def _apply_fsm_transition(
        self, *, obj, transition_name, request, kwargs=None
    ) -> bool:
        try:
            services.order_transition(
                order=obj, name=transition_name, actor=request.user, **(kwargs or {})
            )
        except OrderError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(
            request, _("Order %(n)s updated.") % {"n": obj.number}, messages.SUCCESS
        )
        return True


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order",
        "method",
        "amount",
        "amount_refunded",
        "status",
        "reference",
        "created_at",
    ]
    list_filter = ["method", "status"]
    search_fields = ["order__number", "reference", "order__customer__email"]
    list_select_related = ["order"]


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
    list_display = [
        "created_at",
        "order",
        "type",
        "actor",
        "from_status",
        "to_status",
        "customer_visible",
        "message",
    ]
    list_filter = ["type", "customer_visible", "to_status"]
    search_fields = ["order__number", "message"]
    list_select_related = ["order", "actor"]
    date_hierarchy = "created_at"


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

"""The order's admin page: inspection of everything an order holds, with links to act.

Order actions live on the staff pages (``/staff/orders/<number>/``): the admin
shows an order and its inlines read-only and links there, and its bulk actions
run the same services (``orders.moves``) the staff pages run.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orders import moves
from orders.customer import services as customer
from orders.events import timeline
from orders.events.words import Related
from orders.exceptions import OrderError
from orders.models import (
    CustomerMessage,
    Invoice,
    Notification,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderFeedback,
    OrderIssue,
    OrderLine,
    OrderNote,
    Payment,
    Refund,
    Shipment,
)
from orders.money import pricing
from orders.money.position import money_position
from orders.verification.selectors import verification_summary
from ordersite.admin_utils import ReadOnlyInline, run_each


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "sku",
        "name",
        "quantity",
        "unit_price",
        "price_source",
        "price_reason",
        "line_total",
        "discount_amount",
        "tax_rate",
        "tax_amount",
        "backordered_quantity",
    ]


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["carrier", "tracking_number", "created_by", "created_at"]


class OrderNoteInline(ReadOnlyInline):
    model = OrderNote
    fields = ["created_at", "author", "body"]


class OrderEventInline(ReadOnlyInline):
    """The timeline: each fact as staff read it, with its type and who acted."""

    model = OrderEvent
    fields = ["created_at", "type", "who", "wording", "customer_visible"]
    ordering = ["-created_at", "-pk"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "order")

    @admin.display(description=_("who"))
    def who(self, event: OrderEvent) -> str:
        return event.actor_label

    @admin.display(description=_("what happened"))
    def wording(self, event: OrderEvent) -> str:
        # One lookup of related rows for the whole timeline (inlines are made per
        # request), not one per event.
        if getattr(self, "_related", None) is None:
            self._related = Related(event.order)
        return timeline.render(event, audience="staff", related=self._related)


class PaymentsInline(ReadOnlyInline):
    model = Payment
    fields = [
        "method",
        "provider",
        "amount",
        "amount_captured",
        "amount_refunded",
        "status",
        "reference",
        "card_last4",
        "due_date",
        "failure_message",
    ]


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = [
        "created_at",
        "amount",
        "outcome",
        "payment",
        "status",
        "last_error",
        "reason",
    ]


class DiscountInline(ReadOnlyInline):
    model = OrderDiscount
    fields = ["code", "kind", "value", "amount", "reason", "created_by"]


class InvoiceInline(ReadOnlyInline):
    model = Invoice
    fields = ["number", "kind", "issued_at", "total", "document"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("document"))
    def document(self, obj: Invoice) -> str:
        url = reverse("orders:invoice", args=[obj.number])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}.pdf">PDF</a>',
            url,
            _("view / print"),
            url.rstrip("/"),
        )


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = ["created_at", "kind", "subject", "to_email", "delivery_status"]
    ordering = ["-created_at", "-pk"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("delivery")

    @admin.display(description=_("status"))
    def delivery_status(self, notification: Notification) -> str:
        text = notification.get_status_display()
        if notification.last_error:
            text += f" ({notification.attempts}×: {notification.last_error})"
        return text


class IssueInline(ReadOnlyInline):
    model = OrderIssue
    fields = ["created_at", "reason", "details", "resolved_at"]


class FeedbackInline(ReadOnlyInline):
    model = OrderFeedback
    fields = ["rating", "comment", "created_at"]


class MessageInline(ReadOnlyInline):
    model = CustomerMessage
    fields = ["created_at", "from_customer", "staff_author", "body"]


def _bulk(name: str):
    """An admin action running transition ``name`` on each selected order through the services."""

    def action(modeladmin, request, queryset):
        run_each(
            modeladmin,
            request,
            queryset.order_by("pk"),
            lambda o: moves.order_transition(order=o, name=name, actor=request.user),
            done=_("%(n)d order(s) updated."),
            errors=OrderError,
        )

    action.__name__ = f"bulk_{name}"
    return admin.action(description=Order.transition_label(name))(action)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
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
        MessageInline,
        IssueInline,
        FeedbackInline,
        OrderLineInline,
        DiscountInline,
        PaymentsInline,
        RefundInline,
        InvoiceInline,
        ShipmentInline,
        NotificationInline,
        OrderNoteInline,
        OrderEventInline,
    ]
    change_form_template = "admin/orders/order/change_form.html"
    actions = [
        "send_read_back",
        _bulk("allocate"),
        _bulk("start_picking"),
        _bulk("mark_delivered"),
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

    def get_readonly_fields(self, request, obj=None):
        # Every field is written by the services; the admin only shows them.
        return [f.name for f in self.model._meta.fields] + ["verification"]

    @admin.display(description=_("Four-eyes check"))
    def verification(self, obj: Order) -> str:
        return verification_summary(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing here is edited by hand: the order is changed on its staff page.
        order = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "staff_url": reverse("orders:detail", args=[order.number]) if order else "",
            "price_mismatches": pricing.price_mismatches(order=order) if order else [],
            "position": money_position(order) if order else None,
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
        # Nothing on the form is editable; the services write every field.
        return None

    @staticmethod
    @admin.action(
        description=_("Email a read-back confirmation (phone and email orders)")
    )
    def send_read_back(self, request, queryset):
        run_each(
            self,
            request,
            queryset.select_related("customer"),
            lambda o: customer.order_send_read_back(order=o, actor=request.user),
            done=_("%(n)d read-back confirmation(s) sent."),
            errors=OrderError,
        )

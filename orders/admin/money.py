"""Admin for reference data on money (price lists, tax rates, discount codes) and money records."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orders.exceptions import OrderError
from orders.models import (
    CustomerGroup,
    DiscountCode,
    Invoice,
    OrderDiscount,
    Payment,
    PriceList,
    PriceListEntry,
    Refund,
    StoreCreditEntry,
    TaxRate,
)
from orders.money import payments, refunds
from ordersite.admin_utils import (
    ActionOnlyAdminMixin,
    ReadOnlyAdminMixin,
    run_each,
)


@admin.register(Payment)
class PaymentAdmin(ActionOnlyAdminMixin, admin.ModelAdmin):
    action_permission = "orders.record_payment"
    list_display = [
        "order",
        "method",
        "provider",
        "amount",
        "amount_captured",
        "amount_refunded",
        "status",
        "due_date",
        "created_at",
    ]
    list_filter = ["method", "provider", "status", "due_date"]
    search_fields = ["order__number", "reference", "order__customer__email"]
    list_select_related = ["order"]
    actions = ["capture_selected"]

    @admin.action(
        description=_("Confirm the money arrived (capture)"), permissions=["change"]
    )
    def capture_selected(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(status=Payment.Status.AUTHORIZED),
            lambda p: payments.payment_capture(payment=p, actor=request.user),
            done=_("%(n)d payment(s) captured."),
            errors=OrderError,
        )


@admin.register(Refund)
class RefundAdmin(ActionOnlyAdminMixin, admin.ModelAdmin):
    action_permission = "orders.refund_order"
    list_display = [
        "created_at",
        "order",
        "amount",
        "outcome",
        "status",
        "last_error",
    ]
    list_filter = ["status", "outcome"]
    search_fields = ["order__number", "idempotency_key", "reason"]
    list_select_related = ["order"]
    actions = ["retry_selected"]

    @admin.action(description=_("Retry failed refunds"), permissions=["change"])
    def retry_selected(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(status=Refund.Status.FAILED),
            lambda r: refunds.refund_retry(refund=r, actor=request.user),
            done=_("%(n)d refund(s) retried; see each one's status."),
            errors=OrderError,
        )


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "customer", "amount", "order", "note"]
    search_fields = ["customer__email", "customer__name", "order__number"]
    list_select_related = ["customer", "order"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "kind",
        "issued_at",
        "order",
        "net",
        "tax",
        "total",
        "document",
    ]
    list_filter = ["kind", "year"]
    search_fields = ["number", "order__number", "order__customer__email"]
    list_select_related = ["order"]

    @admin.display(description=_("document"))
    def document(self, obj: Invoice) -> str:
        url = reverse("orders:invoice", args=[obj.number])
        return format_html(
            '<a href="{}">HTML</a> · <a href="{}.pdf">PDF</a>', url, url.rstrip("/")
        )


class PriceListEntryInline(admin.TabularInline):
    model = PriceListEntry
    extra = 3
    autocomplete_fields = ["product"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "group", "valid_from", "valid_until", "active"]
    list_filter = ["active", "group"]
    search_fields = ["name", "customer__name", "customer__email"]
    autocomplete_fields = ["customer"]
    inlines = [PriceListEntryInline]


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["country", "tax_class", "rate"]
    list_filter = ["country", "tax_class"]
    list_editable = ["rate"]


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "value",
        "customer",
        "valid_from",
        "valid_until",
        "times_used",
        "max_uses",
        "active",
    ]
    list_filter = ["active", "kind"]
    search_fields = ["code", "description", "customer__email"]
    readonly_fields = ["times_used"]
    autocomplete_fields = ["customer"]


@admin.register(OrderDiscount)
class OrderDiscountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "code", "kind", "value", "amount", "reason", "created_by"]
    search_fields = ["order__number", "code__code", "reason"]
    list_select_related = ["order", "code", "created_by"]

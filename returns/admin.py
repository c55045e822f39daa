"""Admin for returns: the policy (one row, edited here) and the returns themselves,
read-only: a return moves only through its pages and services."""

from django.contrib import admin

from returns.models import (
    Return,
    ReturnAlertRule,
    ReturnLine,
    ReturnParcel,
    ReturnPolicy,
)


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    fieldsets = [
        (None, {"fields": ["window_days", "grace_days", "auto_approve", "four_eyes"]}),
        (
            "What is returnable",
            {"fields": ["non_returnable_categories", "conditions"]},
        ),
        (
            "Refunds",
            {
                "fields": [
                    "allow_refund",
                    "allow_store_credit",
                    "grade_b_percent",
                    "grade_c_percent",
                    "restocking_fee_percent",
                    "return_shipping",
                ]
            },
        ),
        ("Instructions", {"fields": ["return_address", "instructions"]}),
    ]

    def has_add_permission(self, request) -> bool:
        # One policy: the pages and every check read the same row.
        return not ReturnPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = [
        "order_line",
        "quantity",
        "reason",
        "reason_text",
        "received_quantity",
        "grade",
        "confirmed_reason",
        "disposition",
        "warehouse",
        "refund_amount",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = ["number", "order", "status", "source", "outcome", "requested_at"]
    list_filter = ["status", "source", "outcome"]
    search_fields = ["number", "order__number"]
    date_hierarchy = "requested_at"
    list_select_related = ["order"]
    inlines = [ReturnLineInline]
    readonly_fields = [f.name for f in Return._meta.fields if f.name not in ("id",)]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReturnAlertRule)
class ReturnAlertRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "threshold_percent", "min_units"]


@admin.register(ReturnParcel)
class ReturnParcelAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "reference", "received_by", "received_at"]
    search_fields = ["number", "reference"]
    readonly_fields = ["number", "customer", "reference", "received_by", "received_at"]

    def has_add_permission(self, request) -> bool:
        return False

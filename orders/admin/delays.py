"""Promises and delays: the calendar, lead times, step targets and causes are
configured here; delay cases are read here and handled on the staff pages."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orders.delays.models import (
    CompensationLimit,
    CompensationOffer,
    CompensationRule,
    CorrectiveAction,
    Delay,
    DelayCause,
    DelayDigest,
    DelaySlip,
    Holiday,
    LeadTime,
    StepTarget,
)
from ordersite.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["day", "name"]
    date_hierarchy = "day"
    search_fields = ["name"]


@admin.register(LeadTime)
class LeadTimeAdmin(admin.ModelAdmin):
    """Business days to ship and in transit: promises at placement are made from these."""

    list_display = ["warehouse", "carrier", "ship_days", "transit_days"]
    list_filter = ["warehouse"]


@admin.register(StepTarget)
class StepTargetAdmin(admin.ModelAdmin):
    list_display = ["status", "hours", "warn_hours"]


@admin.register(DelayCause)
class DelayCauseAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "customer_text",
        "needs_details",
        "active",
        "position",
    ]
    list_editable = ["active", "position"]
    prepopulated_fields = {"code": ["name"]}


class DelaySlipInline(ReadOnlyInline):
    model = DelaySlip
    fields = ["kind", "status", "deadline", "detected_at"]


@admin.register(Delay)
class DelayAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: cases are explained and closed on the staff pages."""

    list_display = [
        "pk",
        "order",
        "status",
        "opened_at",
        "slips",
        "cause",
        "new_date",
        "choice",
        "case_page",
    ]
    list_filter = ["status", "cause", "choice"]
    search_fields = ["order__number"]
    date_hierarchy = "opened_at"
    list_select_related = ["order", "cause"]
    inlines = [DelaySlipInline]

    @admin.display(description=_("staff page"))
    def case_page(self, delay):
        return format_html(
            '<a href="{}">{}</a>', reverse("orders:delay", args=[delay.pk]), _("open")
        )


@admin.register(DelayDigest)
class DelayDigestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["period", "cases", "created_at"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: agreed when a case is closed, marked done on the delay review."""

    list_display = ["description", "owner", "due_on", "done_at", "delay"]
    list_filter = [("done_at", admin.EmptyFieldListFilter)]
    search_fields = ["description", "delay__order__number"]


@admin.register(CompensationRule)
class CompensationRuleAdmin(admin.ModelAdmin):
    """The compensation policy: each active rule a case meets is suggested on it."""

    list_display = [
        "position",
        "kind",
        "cause",
        "min_days_late",
        "min_order_total",
        "min_earlier_delays",
        "amount",
        "percent",
        "gift",
        "active",
    ]
    list_editable = ["active"]
    autocomplete_fields = ["gift"]


@admin.register(CompensationLimit)
class CompensationLimitAdmin(admin.ModelAdmin):
    """Up to which value a role offers alone; managers approve above it."""

    list_display = ["role", "max_value"]


@admin.register(CompensationOffer)
class CompensationOfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "delay",
        "kind",
        "value",
        "status",
        "offered_by",
        "approved_by",
        "cost",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["delay__order__number"]

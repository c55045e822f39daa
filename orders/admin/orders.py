"""The order's admin page: inspection with its inlines; moves run through the services."""

import uuid
from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin, FSMObjectTransition, FSMTransitionContext

from orders import moves
from orders.core.transitions import available_transitions
from orders.customer import services as customer
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
from orders.money import discounts, payments, pricing, refunds
from orders.staff.forms import (
    DiscountForm,
    PaymentForm,
    ReasonForm,
    RefundForm,
    ReplyForm,
    ShipForm,
)
from orders.verification.selectors import verification_summary
from ordersite.admin_utils import (
    ReadOnlyInline,
    run_each,
)


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


ADMIN_MOVE_PAGES = {
    "record_first_check": ("orders:verification", _("Open the verification checklist")),
    "pack": ("orders:pack", _("Pack: scan the units")),
}


def _bulk(name: str, label: str):
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
    return admin.action(description=label)(action)


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
        "attempts",
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
    fields = [
        "created_at",
        "kind",
        "subject",
        "to_email",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    ]
    ordering = ["-created_at", "-pk"]


class IssueInline(ReadOnlyInline):
    model = OrderIssue
    fields = ["created_at", "reason", "details", "resolved_at"]


class FeedbackInline(ReadOnlyInline):
    model = OrderFeedback
    fields = ["rating", "comment", "created_at"]


class MessageInline(ReadOnlyInline):
    model = CustomerMessage
    fields = ["created_at", "from_customer", "staff_author", "body"]


class OrderMoneyAdminMixin:
    """Payments, refunds and discounts from the order's admin page, through the services."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/payment/",
                wrap(self.payment_view),
                name="orders_order_payment",
            ),
            path(
                "<path:object_id>/refund/",
                wrap(self.refund_view),
                name="orders_order_refund",
            ),
            path(
                "<path:object_id>/discount/",
                wrap(self.discount_view),
                name="orders_order_discount",
            ),
            path(
                "<path:object_id>/balance/",
                wrap(self.balance_view),
                name="orders_order_balance",
            ),
            path(
                "<path:object_id>/reply/",
                wrap(self.reply_view),
                name="orders_order_reply",
            ),
            *super().get_urls(),
        ]

    def _money_page(
        self,
        request,
        order,
        form,
        title,
        template="admin/orders/order/money_form.html",
        extra=None,
    ):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": order,
            "title": title,
            "form": form,
            "balance": order.balance_due(),
            "refundable": refunds.refundable_total(order=order),
            **(extra or {}),
        }
        return TemplateResponse(request, template, context)

    def _back(self, order):
        return redirect("admin:orders_order_change", order.pk)

    def _run(self, request, action, success: str) -> bool:
        try:
            action()
        except OrderError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def payment_view(self, request, object_id):
        order = get_object_or_404(Order, pk=object_id)
        if not request.user.has_perm("orders.record_payment"):
            raise PermissionDenied
        form = PaymentForm(
            request.POST or None,
            initial={"amount": max(order.balance_due(), 0) or None},
        )
        if request.method == "POST" and form.is_valid():
            action = partial(
                payments.payment_take,
                order=order,
                actor=request.user,
                **form.cleaned_data,
            )
            if self._run(request, action, _("Payment recorded.")):
                return self._back(order)
        return self._money_page(request, order, form, _("Take or record a payment"))

    def refund_view(self, request, object_id):
        order = get_object_or_404(Order, pk=object_id)
        if not request.user.has_perm("orders.refund_order"):
            raise PermissionDenied
        form = RefundForm(
            request.POST or None,
            initial={"idempotency_key": uuid.uuid4().hex, "outcome": "original_method"},
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            action = partial(
                refunds.payment_refund,
                order=order,
                amount=d["amount"],
                reason=d["reason"],
                idempotency_key=d["idempotency_key"],
                actor=request.user,
                outcome=d["outcome"],
            )
            if self._run(
                request, action, _("Refund requested; its progress shows on the order.")
            ):
                return self._back(order)
        return self._money_page(request, order, form, _("Refund"))

    def discount_view(self, request, object_id):
        order = get_object_or_404(Order, pk=object_id)
        form = DiscountForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            if d["code"]:
                action = partial(
                    discounts.discount_code_apply,
                    order=order,
                    code=d["code"],
                    actor=request.user,
                )
            else:
                action = partial(
                    discounts.discount_staff_grant,
                    order=order,
                    kind=d["kind"],
                    value=d["value"],
                    reason=d["reason"],
                    actor=request.user,
                )
            if self._run(request, action, _("Discount applied; totals recalculated.")):
                return self._back(order)
        return self._money_page(request, order, form, _("Discount"))

    def balance_view(self, request, object_id):
        order = get_object_or_404(Order, pk=object_id)
        if request.method == "POST":
            if request.POST.get("do") == "refund_excess":
                if not request.user.has_perm("orders.refund_order"):
                    raise PermissionDenied
                self._run(
                    request,
                    lambda: refunds.order_refund_excess(
                        order=order, actor=request.user
                    ),
                    _("The excess is being refunded."),
                )
            elif request.POST.get("do") == "request_balance":
                self._run(
                    request,
                    lambda: refunds.order_request_balance(
                        order=order, actor=request.user
                    ),
                    _("The customer has been asked for the balance."),
                )
        return self._back(order)

    def reply_view(self, request, object_id):
        """Answer the customer's messages; the reply is emailed and shown on their page."""
        order = get_object_or_404(Order, pk=object_id)
        if not request.user.has_perm("orders.change_order"):
            raise PermissionDenied
        form = ReplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            action = partial(
                customer.message_from_staff,
                order=order,
                body=form.cleaned_data["body"],
                actor=request.user,
            )
            if self._run(request, action, _("Reply sent to the customer.")):
                return self._back(order)
        return self._money_page(
            request,
            order,
            form,
            _("Reply to the customer"),
            extra={"thread": order.messages.order_by("created_at")},
        )

    def money_context(self, order) -> dict:
        return {
            "balance": order.balance_due(),
            "refundable": refunds.refundable_total(order=order),
            "price_mismatches": pricing.price_mismatches(order=order),
        }


@admin.register(Order)
class OrderAdmin(OrderMoneyAdminMixin, FSMAdminMixin, admin.ModelAdmin):
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
        _bulk("allocate", _("Run the inventory check")),
        _bulk("start_picking", _("Start picking")),
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
        order = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            **(self.money_context(order) if order else {}),
            "move_pages": [
                (
                    ADMIN_MOVE_PAGES[name][1],
                    reverse(ADMIN_MOVE_PAGES[name][0], args=[order.number]),
                )
                for name in available_transitions(order=order, actor=request.user)
                if name in ADMIN_MOVE_PAGES
            ]
            if order
            else [],
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

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return str(_("Next step"))

    def get_fsm_label(self, transition) -> str:
        return str(transition.custom.get("label") or transition.name)

    def _get_fsm_extra_context(self, *, request, obj):
        # The services decide what is offered (including moves whose conditions
        # the person's input will meet, like a tracking number to ship).
        if obj is None:
            return
        offered = available_transitions(order=obj, actor=request.user)
        transitions = [
            FSMTransitionContext(
                name=name,
                label=self.get_fsm_label(
                    getattr(obj, name)._django_fsm.get_transition(obj.status)
                ),
            )
            for name in offered
            # The first check (ticked item by item) and packing (scanned unit by
            # unit) are made on their staff pages, which the page links to.
            if name != "backorder" and name not in ADMIN_MOVE_PAGES
        ]
        if transitions:
            yield FSMObjectTransition(
                fsm_field="status",
                block_label=self.get_fsm_block_label("status"),
                available_transitions=transitions,
            )

    def is_fsm_transition_visible(self, transition) -> bool:
        # "backorder" is an outcome of the inventory check, not a separate button.
        return transition.name != "backorder"

    def _apply_fsm_transition(
        self, *, obj, transition_name, request, kwargs=None
    ) -> bool:
        try:
            moves.order_transition(
                order=obj, name=transition_name, actor=request.user, **(kwargs or {})
            )
        except OrderError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(
            request, _("Order %(n)s updated.") % {"n": obj.number}, messages.SUCCESS
        )
        return True

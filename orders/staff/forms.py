"""Forms of the orders app."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from orders.core.models import Channel, OrderStatus
from orders.verification.checklist import checklist_keys
from ordersite import limits
from ordersite.forms import ConfirmLargeMixin, OnceMixin
from ordersite.limits import BoundedDecimalField, BoundedIntegerField


class ReasonForm(forms.Form):
    """Asks why an order is held or cancelled; the reason goes on the timeline."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please give a reason.")},
    )


def carrier_choices():
    """The carriers configured in ``ORDERS_CARRIER_TRACKING_URLS``."""
    return [("", "---------")] + [
        (name, name) for name in settings.ORDERS_CARRIER_TRACKING_URLS
    ]


class ShipForm(forms.Form):
    """Asks for the carrier and tracking number of a shipment."""

    carrier = forms.ChoiceField(label=_("Carrier"), choices=carrier_choices)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)

    def clean_tracking_number(self):
        return self.cleaned_data["tracking_number"].strip()


class ParcelForm(ShipForm):
    """A shipment with what is in the parcel: units per line, and where it leaves from."""

    def __init__(self, *args, lines, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        if len(warehouses) > 1:
            self.fields["warehouse_id"] = forms.TypedChoiceField(
                label=_("Ships from"),
                coerce=int,
                choices=[(w.pk, w.name) for w in warehouses],
            )
        for line, remaining in lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.sku} · {line.name}",
                min_value=0,
                max_value=remaining,
                initial=remaining,
                help_text=_("%(n)d still to ship") % {"n": remaining},
            )

    def clean(self):
        data = super().clean()
        parcel = {
            line.pk: data.get(f"line_{line.pk}") or 0 for line, _remaining in self.lines
        }
        if not self.errors and not any(parcel.values()):
            raise forms.ValidationError(_("Put at least one unit in the parcel."))
        data["lines"] = parcel
        return data

    def line_fields(self):
        return [self[f"line_{line.pk}"] for line, _remaining in self.lines]

    def service_inputs(self) -> dict:
        d = self.cleaned_data
        return {
            "carrier": d["carrier"],
            "tracking_number": d["tracking_number"],
            "lines": d["lines"],
            "warehouse_id": d.get("warehouse_id"),
        }


class PackForm(forms.Form):
    """Every unit packed, scanned (a scanner types the SKU and Enter) or typed."""

    scanned = forms.CharField(
        label=_("Scanned SKUs"),
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "scan-input",
            }
        ),
        help_text=_(
            "One SKU per unit, one per line; several units of one SKU as “SKU x 3”."
        ),
        error_messages={"required": _("Scan or type the SKU of every unit you pack.")},
    )


class PaymentForm(OnceMixin, forms.Form):
    """Take or record a payment for an order."""

    method = forms.ChoiceField(
        label=_("Method"),
        choices=[
            ("card", _("Card (test card gateway)")),
            ("bank_transfer", _("Bank transfer")),
            ("cash_on_delivery", _("Cash on delivery")),
            ("card_by_phone", _("Card taken by phone")),
            ("invoice", _("Invoice with payment terms")),
            ("store_credit", _("Store credit")),
        ],
    )
    amount = BoundedDecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), limit=limits.max_order_total
    )
    card_number = forms.CharField(
        label=_("Card number"),
        required=False,
        max_length=23,
        help_text=_("Only for card payments; never stored."),
    )
    reference = forms.CharField(label=_("Reference"), required=False, max_length=200)
    received = forms.BooleanField(
        label=_("The money has arrived"),
        required=False,
        initial=True,
        help_text=_("Untick for an invoice or cash on delivery still to be paid."),
    )

    def clean(self):
        data = super().clean()
        if data.get("method") == "card" and not data.get("card_number"):
            self.add_error("card_number", _("Enter the card number."))
        return data


class RefundForm(forms.Form):
    amount = BoundedDecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), limit=limits.max_order_total
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)
    outcome = forms.ChoiceField(
        label=_("Refund as"),
        choices=[
            ("original_method", _("Money back to the original payment method")),
            ("store_credit", _("Store credit")),
        ],
    )
    # Rendered into the form once, so a double submit reuses it and refunds once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class DiscountForm(OnceMixin, forms.Form):
    code = forms.CharField(label=_("Discount code"), required=False, max_length=40)
    kind = forms.ChoiceField(
        label=_("Or a discount of"),
        required=False,
        choices=[("", "—"), ("percent", _("Percent")), ("fixed", _("Fixed amount"))],
    )
    value = BoundedDecimalField(
        label=_("Value"),
        required=False,
        min_value=Decimal("0.01"),
        limit=limits.max_order_total,
    )
    reason = forms.CharField(
        label=_("Reason (for a staff discount)"), required=False, max_length=255
    )

    def clean(self):
        data = super().clean()
        if not data.get("code") and not data.get("kind"):
            raise forms.ValidationError(
                _("Enter a code, or choose a discount to give.")
            )
        if data.get("kind") and (not data.get("value") or not data.get("reason")):
            raise forms.ValidationError(
                _("A staff discount needs a value and a reason.")
            )
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


class OrderFilterForm(forms.Form):
    """Filters of the staff order list (all optional, read from the query string)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        help_text=_("Order number, customer name or email, SKU or tracking number."),
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=OrderStatus.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any"))] + Channel.choices
    )
    placed_from = forms.DateField(
        label=_("Placed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    placed_to = forms.DateField(
        label=_("Placed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    warehouse = forms.ModelChoiceField(
        label=_("Stock in warehouse"), required=False, queryset=None
    )
    overdue = forms.BooleanField(label=_("Past ship-by date"), required=False)
    payment = forms.ChoiceField(
        label=_("Payment"),
        required=False,
        choices=[("", _("Any")), ("paid", _("Covered")), ("unpaid", _("Not covered"))],
    )
    attention = forms.ChoiceField(
        label=_("Waiting for us"),
        required=False,
        choices=[
            ("", _("Any")),
            ("problem", _("A problem the customer reported")),
            ("reply", _("A message to answer")),
        ],
    )
    queue = forms.ChoiceField(label=_("Work queue"), required=False, choices=[])
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[
            ("", _("Anyone")),
            ("me", _("My open orders")),
            ("nobody", _("Nobody")),
        ],
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from inventory.models import Warehouse
        from orders.core.selectors import queue_choices

        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.all()
        self.fields["queue"].choices = [("", _("Any")), *queue_choices()]

    def filters(self, user=None) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        owner = d.get("owner") or ""
        return {
            "owner": user if owner == "me" else (owner or None),
            "search": d.get("q") or "",
            "statuses": d.get("status") or None,
            "channel": d.get("channel") or "",
            "placed_from": d.get("placed_from"),
            "placed_to": d.get("placed_to"),
            "warehouse_id": d["warehouse"].pk if d.get("warehouse") else None,
            "overdue": bool(d.get("overdue")),
            "payment": d.get("payment") or "",
            "attention": d.get("attention") or "",
            "queue": d.get("queue") or "",
            "sort": d.get("sort") or "-placed",
        }


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NewOrderForm(OnceMixin, ConfirmLargeMixin, forms.Form):
    """The order header for a phone or email order: who, how it came in, shipping."""

    channel = forms.ChoiceField(
        label=_("Came in by"),
        choices=[(Channel.PHONE, _("Phone")), (Channel.EMAIL, _("Email"))],
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=200,
        help_text=_("The email's subject, or who called."),
    )
    email = forms.EmailField(label=_("Customer's email"))
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        help_text=_("Only for a new customer."),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    address = forms.CharField(
        label=_("Shipping address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Needed for a new customer; for a known one, leave it empty to ship to the address on file."
        ),
    )
    country = forms.CharField(
        label=_("Country (2 letters)"), required=False, max_length=2, initial="DE"
    )
    shipping = BoundedDecimalField(
        label=_("Shipping"),
        min_value=Decimal("0"),
        initial=Decimal("4.90"),
        limit=limits.max_unit_price,
    )

    def clean(self):
        from orders.customer.models import Customer

        data = super().clean()
        email = data.get("email")
        if email and not Customer.objects.filter(email__iexact=email).exists():
            for field in ("name", "address"):
                if not data.get(field):
                    self.add_error(field, _("Needed for a new customer."))
            if len(data.get("country") or "") != 2:
                self.add_error("country", _("Two letters, such as DE."))
        return data


class NewOrderLineForm(forms.Form):
    sku = forms.CharField(
        label=_("SKU"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"class": "form-control", "list": "skus", "autocomplete": "off"}
        ),
    )
    quantity = BoundedIntegerField(
        label=_("Quantity"),
        required=False,
        min_value=1,
        limit=limits.max_line_quantity,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    unit_price = BoundedDecimalField(
        label=_("Manual price"),
        required=False,
        min_value=Decimal("0"),
        limit=limits.max_unit_price,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    price_reason = forms.CharField(
        label=_("Reason for the manual price"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def clean(self):
        from inventory.models import Product

        data = super().clean()
        sku = (data.get("sku") or "").strip()
        if not sku:
            if data.get("quantity"):
                self.add_error("sku", _("Enter the SKU."))
            return data
        product = Product.objects.filter(sku__iexact=sku, active=True).first()
        if product is None:
            self.add_error("sku", _("Unknown SKU “%(sku)s”.") % {"sku": sku})
        data["product"] = product
        if not data.get("quantity"):
            self.add_error("quantity", _("How many?"))
        if (
            data.get("unit_price") is not None
            and not (data.get("price_reason") or "").strip()
        ):
            self.add_error("price_reason", _("A manual price needs a reason."))
        return data


class BaseNewOrderLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if not any(self.errors) and not [
            f for f in self.forms if f.cleaned_data.get("product")
        ]:
            raise forms.ValidationError(_("Add at least one line."), code="empty")


NewOrderLineFormSet = forms.formset_factory(
    NewOrderLineForm, formset=BaseNewOrderLineFormSet, extra=5, max_num=100
)


AddLineFormSet = forms.formset_factory(NewOrderLineForm, extra=2, max_num=20)


class CorrectionForm(ConfirmLargeMixin, forms.Form):
    """Correct a placed order: quantities (0 removes a line), address, and why."""

    shipping_address = forms.CharField(
        label=_("Shipping address"), widget=forms.Textarea(attrs={"rows": 3})
    )
    shipping_country = forms.CharField(
        label=_("Country (2 letters)"), min_length=2, max_length=2
    )
    # The checklist keys of the order as drawn: a correction of a changed order is refused.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Why the correction"),
        max_length=300,
        help_text=_("For example: the customer's email asks for 3, not 2."),
        error_messages={"required": _("Say why the order is corrected.")},
    )

    def __init__(self, *args, order, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "shipping_address": order.shipping_address,
                "shipping_country": order.shipping_country,
                "seen": " ".join(checklist_keys(order)),
            },
        )
        super().__init__(*args, **kwargs)
        self.lines = list(order.lines.all())
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = BoundedIntegerField(
                label=f"{line.sku} · {line.name}",
                min_value=0,
                limit=limits.max_line_quantity,
                initial=line.quantity,
                help_text=_("0 removes the line"),
            )

    def quantity_fields(self):
        return [self[f"qty_{line.pk}"] for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"qty_{line.pk}"] for line in self.lines}

    def changed_quantities(self) -> list[tuple[str, int]]:
        """``(sku, quantity)`` of the lines whose quantity this correction changes."""
        return [
            (line.sku, quantity)
            for line in self.lines
            if (quantity := self.cleaned_data[f"qty_{line.pk}"]) != line.quantity
        ]


class SendBackForm(forms.Form):
    """What the second checker found wrong; the first checker sees it on the order."""

    reason = forms.ChoiceField(label=_("What was wrong"), choices=[])
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        from orders.verification.models import VerificationIssue

        super().__init__(*args, **kwargs)
        # Nothing chosen in advance: the checker says what was wrong.
        self.fields["reason"].choices = [
            ("", _("Choose what was wrong…")),
            *VerificationIssue.Reason.choices,
        ]
        self.fields["reason"].error_messages["required"] = _("Say what was wrong.")


# ------------------------------------------------------------------------------
# Promises and delays
# ------------------------------------------------------------------------------
class DateInput(forms.DateInput):
    input_type = "date"


class PromiseForm(forms.Form):
    """Other promised dates, with the reason (the customer is told the delivery date)."""

    ship_by = forms.DateField(label=_("Ship by"), widget=DateInput, required=False)
    estimated_delivery = forms.DateField(
        label=_("Estimated delivery"), widget=DateInput
    )
    reason = forms.CharField(label=_("Why"), max_length=300)


class DelayExplainForm(forms.Form):
    """Why the order is late and the new date the customer is told."""

    cause = forms.ModelChoiceField(
        label=_("Cause"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Choose the cause from the list.")},
    )
    details = forms.CharField(
        label=_("What happened (for staff; required for “other”)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_date = forms.DateField(label=_("New delivery date"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        from orders.delays.models import DelayCause

        super().__init__(*args, **kwargs)
        self.fields["cause"].queryset = DelayCause.objects.filter(active=True)


class DelayCloseForm(forms.Form):
    root_cause = forms.CharField(
        label=_("Root cause: what made this order late, and what would prevent it?"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    action = forms.CharField(
        label=_("Corrective action (optional)"),
        max_length=500,
        required=False,
        help_text=_("What will change so it does not happen again."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner of the action"), queryset=None, required=False
    )
    due_on = forms.DateField(label=_("Due"), widget=DateInput, required=False)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .order_by("username")
        )

    def clean(self):
        data = super().clean()
        if data.get("action") and not (data.get("owner") and data.get("due_on")):
            raise forms.ValidationError(
                _("A corrective action needs an owner and a due date."),
                code="action_incomplete",
            )
        return data


class CompensationForm(forms.Form):
    """An offer by hand: what, and its value (a gift is worth its catalogue price)."""

    kind = forms.ChoiceField(label=_("Offer"))
    value = BoundedDecimalField(
        label=_("Value"),
        min_value=Decimal("0.01"),
        limit=lambda: settings.ORDERS_MAX_UNIT_PRICE,
        required=False,
    )
    gift_sku = forms.CharField(label=_("Gift (SKU)"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        from orders.delays.models import CompensationKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = CompensationKind.choices

    def clean(self):
        from inventory.models import Product

        data = super().clean()
        if data.get("kind") == "gift":
            data["product"] = Product.objects.filter(
                sku=(data.get("gift_sku") or "").strip(), active=True
            ).first()
            if data["product"] is None:
                raise forms.ValidationError(
                    _("Give the SKU of a product that is sold."), code="no_gift"
                )
        elif not data.get("value"):
            raise forms.ValidationError(_("Give the value."), code="no_value")
        return data

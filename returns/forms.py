"""The forms of returns: the request (customer and staff), receiving, inspection,
the decision and a manager's amount. Per-line fields are named ``<what>_<id>``."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from ordersite import limits
from ordersite.forms import OnceMixin
from ordersite.limits import BoundedDecimalField
from returns.models import Disposition, Grade, Outcome, Reason
from returns.photos import PhotosField
from returns.policy import Asked
from returns.services import Inspection, Replacement

REASON_CHOICES = [("", _("Why does it come back?")), *Reason.choices]


class RequestForm(OnceMixin, forms.Form):
    """Which units come back, why, and what the customer wishes for.

    One quantity, reason and text per line that may still be returned
    (``returnables`` from ``returns.policy.returnable_lines``).
    """

    outcome = forms.ChoiceField(
        label=_("What would you like?"), widget=forms.RadioSelect
    )
    wish = forms.CharField(
        label=_(
            "For an exchange: what would you like instead (size, colour, product)?"
        ),
        required=False,
        max_length=500,
    )
    note = forms.CharField(
        label=_("Anything else we should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = PhotosField(
        label=_("Photos (optional): the damage, the wrong item, the label"),
        help_text=_("Up to 5 JPEG, PNG or WebP photos, 5 MB each."),
    )

    def __init__(self, *args, returnables, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.returnables = [r for r in returnables if r.left]
        self.fields["outcome"].choices = [(o, Outcome(o).label) for o in outcomes]
        if len(outcomes) == 1:
            self.initial.setdefault("outcome", outcomes[0])
        if Outcome.EXCHANGE not in outcomes:
            del self.fields["wish"]
        for r in self.returnables:
            pk = r.line.pk
            self.fields[f"qty_{pk}"] = forms.IntegerField(
                label=_("How many"),
                min_value=0,
                max_value=r.left,
                initial=0,
                required=False,
            )
            self.fields[f"reason_{pk}"] = forms.ChoiceField(
                label=_("Why"), choices=REASON_CHOICES, required=False
            )
            self.fields[f"text_{pk}"] = forms.CharField(
                label=_("In your words"), max_length=500, required=False
            )

    def rows(self):
        """(returnable, quantity field, reason field, text field) per line, for the template."""
        return [
            (
                r,
                self[f"qty_{r.line.pk}"],
                self[f"reason_{r.line.pk}"],
                self[f"text_{r.line.pk}"],
            )
            for r in self.returnables
        ]

    def clean(self):
        data = super().clean()
        asked = []
        for r in self.returnables:
            pk = r.line.pk
            quantity = data.get(f"qty_{pk}") or 0
            if not quantity:
                continue
            reason = data.get(f"reason_{pk}") or ""
            if not reason:
                self.add_error(f"reason_{pk}", _("Say why it comes back."))
            asked.append(
                Asked(
                    line_id=pk,
                    quantity=quantity,
                    reason=reason,
                    reason_text=data.get(f"text_{pk}") or "",
                )
            )
        if data.get("outcome") == "exchange" and not (data.get("wish") or "").strip():
            self.add_error("wish", _("Tell us what you would like instead."))
        if not asked and not self.errors:
            raise forms.ValidationError(
                _("Choose how many of at least one item you return."), code="empty"
            )
        data["asked"] = asked
        return data


class StaffRequestForm(RequestForm):
    source = forms.ChoiceField(
        label=_("The customer asked"),
        choices=[
            ("staff", _("by phone or email")),
            ("parcel", _("— a parcel just arrived without a request")),
        ],
    )
    approve = forms.BooleanField(
        label=_("Approve now, even outside the policy"),
        required=False,
        initial=True,
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Note to the customer (required to reject)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReceiveForm(forms.Form):
    """How many of each line arrived (defaults: everything asked for)."""

    def __init__(self, *args, rma, **kwargs):
        super().__init__(*args, **kwargs)
        self.return_lines = list(rma.lines.all())
        for line in self.return_lines:
            self.fields[f"arrived_{line.pk}"] = forms.IntegerField(
                label=f"{line.order_line.sku} · {line.order_line.name}",
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                help_text=_("%(n)s announced") % {"n": line.quantity},
            )

    def arrived(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data[f"arrived_{line.pk}"]
            for line in self.return_lines
        }


class InspectForm(forms.Form):
    """Per received line: condition, cause, where it goes, a note; photos of it all."""

    photos = PhotosField(label=_("Photos of what you found (optional)"))

    def __init__(self, *args, rma, **kwargs):
        super().__init__(*args, **kwargs)
        self.return_lines = [line for line in rma.lines.all() if line.received_quantity]
        warehouses = Warehouse.objects.filter(active=True)
        default = warehouses.filter(is_default=True).first()
        for line in self.return_lines:
            pk = line.pk
            self.fields[f"grade_{pk}"] = forms.ChoiceField(
                label=_("Condition"), choices=Grade.choices, initial=Grade.A
            )
            self.fields[f"cause_{pk}"] = forms.ChoiceField(
                label=_("Confirmed cause"), choices=Reason.choices, initial=line.reason
            )
            self.fields[f"disposition_{pk}"] = forms.ChoiceField(
                label=_("Goes to"),
                choices=Disposition.choices,
                initial=Disposition.RESTOCK,
            )
            self.fields[f"warehouse_{pk}"] = forms.ModelChoiceField(
                label=_("Warehouse"),
                queryset=warehouses,
                required=False,
                initial=default,
                error_messages={
                    "invalid_choice": _("Choose a warehouse from the list.")
                },
            )
            self.fields[f"note_{pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=1000
            )

    def rows(self):
        return [
            (
                line,
                [
                    self[f"{what}_{line.pk}"]
                    for what in ("grade", "cause", "disposition", "warehouse", "note")
                ],
            )
            for line in self.return_lines
        ]

    def found(self) -> dict[int, Inspection]:
        data = self.cleaned_data
        return {
            line.pk: Inspection(
                grade=data[f"grade_{line.pk}"],
                cause=data[f"cause_{line.pk}"],
                disposition=data[f"disposition_{line.pk}"],
                warehouse=data.get(f"warehouse_{line.pk}"),
                note=data.get(f"note_{line.pk}") or "",
            )
            for line in self.return_lines
        }


class AmountForm(forms.Form):
    amount = BoundedDecimalField(
        label=_("Refund"), min_value=Decimal("0"), limit=limits.max_order_total
    )
    reason = forms.CharField(label=_("Why it differs from the policy"), max_length=255)


class KeepForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the items need not come back"),
        max_length=255,
        help_text=_("E.g. a cheap item broken in transit: not worth the postage."),
    )


class ExchangeForm(forms.Form):
    """Up to three products the customer gets instead (by SKU)."""

    ROWS = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, self.ROWS + 1):
            self.fields[f"sku_{i}"] = forms.CharField(
                label=_("SKU"), max_length=64, required=i == 1
            )
            self.fields[f"quantity_{i}"] = forms.IntegerField(
                label=_("Quantity"),
                min_value=1,
                max_value=1000,
                required=False,
                initial=1 if i == 1 else None,
            )

    def rows(self):
        return [
            (self[f"sku_{i}"], self[f"quantity_{i}"]) for i in range(1, self.ROWS + 1)
        ]

    def clean(self):
        from inventory.models import Product

        data = super().clean()
        wanted = []
        for i in range(1, self.ROWS + 1):
            sku = (data.get(f"sku_{i}") or "").strip()
            if not sku:
                continue
            product = Product.objects.filter(sku=sku, active=True).first()
            if product is None:
                self.add_error(f"sku_{i}", _("No product on sale has this SKU."))
                continue
            wanted.append(
                Replacement(product=product, quantity=data.get(f"quantity_{i}") or 1)
            )
        data["replacements"] = wanted
        return data


class ParcelForm(forms.Form):
    """Which of a customer's approved returns are in one parcel, and what arrived."""

    reference = forms.CharField(
        label=_("Carrier's tracking number (optional)"), max_length=100, required=False
    )

    def __init__(self, *args, rmas, chosen=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rmas = rmas
        for rma in rmas:
            self.fields[f"include_{rma.pk}"] = forms.BooleanField(
                label=_("%(rma)s is in this parcel") % {"rma": rma.number},
                required=False,
                initial=chosen is None or rma.pk == chosen,
            )
            for line in rma.lines.all():
                self.fields[f"arrived_{line.pk}"] = forms.IntegerField(
                    label=f"{line.order_line.sku} · {line.order_line.name}",
                    min_value=0,
                    max_value=line.quantity,
                    initial=line.quantity,
                    help_text=_("%(n)s announced") % {"n": line.quantity},
                )

    def groups(self):
        return [
            (
                rma,
                self[f"include_{rma.pk}"],
                [self[f"arrived_{line.pk}"] for line in rma.lines.all()],
            )
            for rma in self.rmas
        ]

    def chosen(self) -> list:
        return [rma for rma in self.rmas if self.cleaned_data.get(f"include_{rma.pk}")]

    def arrived(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data[f"arrived_{line.pk}"]
            for rma in self.chosen()
            for line in rma.lines.all()
        }

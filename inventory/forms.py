"""Forms of the inventory staff pages. They validate; the services write."""

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from inventory.models import Product, StockCount, Warehouse
from ordersite import limits
from ordersite.forms import ConfirmLargeMixin, OnceMixin
from ordersite.limits import BoundedIntegerField


def _active_warehouses():
    return Warehouse.objects.filter(active=True)


class SkuField(forms.CharField):
    """A SKU typed or scanned by staff, cleaned to the active product it names."""

    default_error_messages = {"unknown": _("Unknown SKU “%(sku)s”.")}

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        product = Product.objects.filter(sku__iexact=value.strip(), active=True).first()
        if product is None:
            raise forms.ValidationError(
                self.error_messages["unknown"],
                code="unknown",
                params={"sku": value.strip()},
            )
        return product


class StockFilterForm(forms.Form):
    q = forms.CharField(label=_("SKU or name"), required=False)
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.all(), required=False
    )
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All items")),
            ("low", _("At or under reorder point")),
            ("out", _("Out of stock")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ReceiptForm(OnceMixin, ConfirmLargeMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.none()
    )
    supplier = forms.CharField(label=_("Supplier"), max_length=200)
    supplier_reference = forms.CharField(
        label=_("Delivery note / reference"), max_length=100, required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _active_warehouses()
        self.helper = FormHelper()
        self.helper.form_tag = False


class ReceiptLineForm(forms.Form):
    sku = SkuField(
        label=_("SKU"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    quantity = BoundedIntegerField(
        label=_("Quantity"),
        min_value=1,
        limit=limits.max_stock_quantity,
        required=False,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "inputmode": "numeric"}
        ),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("sku")
            and not data.get("quantity")
            and "quantity" not in self.errors
        ):
            self.add_error("quantity", _("Enter how many arrived."))
        if data.get("quantity") and not data.get("sku") and "sku" not in self.errors:
            self.add_error("sku", _("Enter the SKU."))
        return data


class BaseReceiptLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not [f for f in self.forms if f.cleaned_data.get("sku")]:
            raise forms.ValidationError(_("Add at least one line."), code="empty")


ReceiptLineFormSet = forms.formset_factory(
    ReceiptLineForm, formset=BaseReceiptLineFormSet, extra=5, max_num=100
)


class AdjustForm(OnceMixin, ConfirmLargeMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.none()
    )
    delta = forms.IntegerField(
        label=_("Change on hand"),
        help_text=_("Negative to remove units, positive to add."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _active_warehouses()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("delta"):
            self.confirm_large_quantities(
                [(_("units either way"), abs(data["delta"]))],
                threshold=settings.INVENTORY_CONFIRM_QUANTITY_ABOVE,
            )
        return data

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(
                _("An adjustment must change the quantity."), code="zero"
            )
        if abs(delta) > limits.max_stock_quantity():
            raise forms.ValidationError(
                _("At most %(limit)s either way; is this a barcode?"),
                code="too_big",
                params={"limit": f"{limits.max_stock_quantity():,}"},
            )
        return delta


class CountOpenForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.none()
    )
    skus = forms.CharField(
        label=_("SKUs to count"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line or separated by commas; leave empty to count everything."
        ),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _active_warehouses()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_skus(self):
        raw = [
            s.strip() for s in self.cleaned_data["skus"].replace(",", "\n").splitlines()
        ]
        wanted = [s for s in raw if s]
        if not wanted:
            return []
        lowered = [s.lower() for s in wanted]
        found = {
            p.lsku: p
            for p in Product.objects.annotate(lsku=Lower("sku")).filter(
                lsku__in=lowered
            )
        }
        unknown = [s for s in wanted if s.lower() not in found]
        if unknown:
            raise forms.ValidationError(
                _("Unknown SKU(s): %(skus)s.") % {"skus": ", ".join(unknown)},
                code="unknown",
            )
        return [found[s.lower()].pk for s in wanted]


class CountEntryForm(ConfirmLargeMixin, forms.Form):
    """One field per line of an open count; empty fields are left as they are."""

    def __init__(self, *args, count: StockCount, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(
            count.lines.select_related("stock_item__product").order_by(
                "stock_item__product__sku"
            )
        )
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = BoundedIntegerField(
                label=f"{line.stock_item.product.sku} · {line.stock_item.product.name}",
                min_value=0,
                limit=limits.max_stock_quantity,
                required=False,
                initial=line.counted,
                widget=forms.NumberInput(
                    attrs={
                        "class": "form-control form-control-sm",
                        "inputmode": "numeric",
                    }
                ),
                error_messages={
                    "min_value": _("A counted quantity cannot be negative.")
                },
            )

    def clean(self):
        data = super().clean()
        if not self.errors:
            self.confirm_large_quantities(
                [
                    (line.stock_item.product.sku, data.get(f"line_{line.pk}"))
                    for line in self.lines
                ],
                threshold=settings.INVENTORY_CONFIRM_QUANTITY_ABOVE,
            )
        return data

    def rows(self):
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data[f"line_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}") is not None
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)

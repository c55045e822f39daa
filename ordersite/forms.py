"""What forms share: recording once per page drawn, confirming unusual quantities, card numbers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ordersite.submissions import new_key, submission


class OnceMixin(forms.Form):
    """A key drawn when the page is drawn, sent back with it: the service records a
    submission once per key, so a double click, a back-and-resubmit or the same
    form sent from a second tab records once and the second attempt is told."""

    submission = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", new_key())

    def clean_submission(self):
        return submission(self.cleaned_data.get("submission"))


class ConfirmLargeMixin(forms.Form):
    """Unusually large quantities are accepted only once the person ticks that they are right."""

    confirm_large = forms.BooleanField(
        label=_("Yes, these quantities are right"),
        required=False,
        widget=forms.HiddenInput,
    )

    def confirm_large_quantities(self, items, *, threshold: int) -> bool:
        """True when nothing is above ``threshold`` or the person confirmed; else ask.

        ``items``: ``(what, quantity)`` pairs. Asking adds an error naming them and
        shows the checkbox.
        """
        large = [
            (what, q) for what, q in items if q and threshold > 0 and q > threshold
        ]
        if not large or self.cleaned_data.get("confirm_large"):
            return True
        self.fields["confirm_large"].widget = forms.CheckboxInput()
        self.add_error(
            None,
            _("Please check these unusually large quantities: %(list)s.")
            % {"list": "; ".join(f"{q:,} × {what}" for what, q in large)},
        )
        return False


class CardNumberField(forms.CharField):
    """A payment card number as typed (spaces and dashes allowed): 12 to 19 digits
    passing the Luhn check, cleaned to digits; anything else never reaches a gateway."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        digits = "".join(ch for ch in value if ch not in " -")
        ascii_digits = digits.isascii() and digits.isdigit()
        if not ascii_digits or not 12 <= len(digits) <= 19 or not _luhn(digits):
            raise forms.ValidationError(
                _("Enter the card number as printed on the card."), code="card_number"
            )
        return digits


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0

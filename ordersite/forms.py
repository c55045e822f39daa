"""What staff forms share: recording once per page drawn, and confirming unusual quantities."""

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

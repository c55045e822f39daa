"""How big a number may be, at every door: forms, services and the database agree.

Ceilings are configurable (settings, read when checked, never at import) and
never above what the database columns hold, which CHECK constraints enforce
as the last line. A value above a plausibility threshold is not refused, but
the page asks the person to confirm it (an EAN scanned into a quantity box is
13 digits: refused; 1,500 bags of coffee might be right: asked).
"""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# What the columns hold: quantities are 32-bit integers in PostgreSQL, amounts
# decimal(12, 2). CHECK constraints on the tables use these.
QUANTITY_CEILING = 1_000_000_000
MONEY_CEILING = Decimal("9999999999.99")


def max_line_quantity() -> int:
    """The most units one order line may hold."""
    return min(settings.ORDERS_MAX_LINE_QUANTITY, QUANTITY_CEILING)


def max_unit_price() -> Decimal:
    """The highest unit price (or shipping charge) staff may enter."""
    return min(Decimal(settings.ORDERS_MAX_UNIT_PRICE), MONEY_CEILING)


def max_order_total() -> Decimal:
    """The highest total an order may reach."""
    return min(Decimal(settings.ORDERS_MAX_ORDER_TOTAL), MONEY_CEILING)


def max_stock_quantity() -> int:
    """The most units one receipt line, adjustment or counted quantity may move."""
    return min(settings.INVENTORY_MAX_QUANTITY, QUANTITY_CEILING)


class BoundedIntegerField(forms.IntegerField):
    """An integer whose ceiling is read from the settings when the form is checked."""

    default_error_messages = {
        "too_big": _("At most %(limit)s; is this a barcode in the quantity box?"),
    }

    def __init__(self, *args, limit, **kwargs):
        self.limit = limit
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and value > self.limit():
            raise forms.ValidationError(
                self.error_messages["too_big"],
                code="too_big",
                params={"limit": f"{self.limit():,}"},
            )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["max"] = self.limit()
        return attrs


class BoundedDecimalField(forms.DecimalField):
    """An amount whose ceiling is read from the settings when the form is checked."""

    default_error_messages = {"too_big": _("At most %(limit)s.")}

    def __init__(self, *args, limit, **kwargs):
        self.limit = limit
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and value > self.limit():
            raise forms.ValidationError(
                self.error_messages["too_big"],
                code="too_big",
                params={"limit": f"{self.limit():,.2f}"},
            )


# A row id from a URL or a form: ASCII digits a 64-bit key can hold; anything else
# (a huge number, "²", "-1") names no row.
ROW_ID = r"[0-9]{1,18}"


def row_ids(values) -> list[int]:
    """The row ids among ``values`` (strings from a request); the rest are dropped."""
    return [int(v) for v in values if isinstance(v, str) and re.fullmatch(ROW_ID, v)]


class RowIdConverter:
    """``<id:pk>`` in URLs: a row id, or no match (a 404, never an overflow)."""

    regex = ROW_ID

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


def needs_confirmation(quantity: int | None, threshold: int) -> bool:
    """Whether a quantity is unusual enough to be confirmed on the page."""
    return quantity is not None and threshold > 0 and quantity > threshold

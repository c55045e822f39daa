"""Amounts of money as people read them: quantized to the currency's minor unit,
with the currency named. The one formatting rule for pages, emails, PDFs and CSVs
(``{{ amount|money:currency }}`` in templates)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Currencies whose minor unit is not the cent (ISO 4217); every other has two places.
MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
    "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0,
    "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def minor_unit(currency: str) -> int:
    return MINOR_UNITS.get((currency or "").upper(), 2)


def quantize(amount, currency: str = "") -> Decimal:
    """``amount`` rounded half up to the currency's minor unit (0.01 for EUR)."""
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def format_money(amount, currency: str = "", *, sign: bool = False) -> str:
    """``1,234.50 EUR``: grouped, quantized, the currency after; "" for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = quantize(amount, currency)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    places = minor_unit(currency)
    text = f"{value:{'+' if sign else ''},.{places}f}"
    return f"{text} {currency}".strip()

"""Invoices and credit notes as PDF, drawn with fpdf2 (pure Python, no system packages).

The PDF is built from the document's frozen ``content``, like the HTML page,
so both always say the same thing. Core PDF fonts cover Latin-1; characters
outside it are replaced rather than failing.
"""

from fpdf import FPDF

from orders.money.models import Invoice
from ordersite.money import format_money

REPLACE = {
    "−": "-",
    "–": "-",
    "—": "-",
    "€": "EUR",
    "…": "...",
    "“": '"',
    "”": '"',
    "’": "'",
}


def _t(value) -> str:
    text = str(value)
    for char, plain in REPLACE.items():
        text = text.replace(char, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(document: Invoice) -> bytes:
    """The document as PDF bytes."""
    c = document.content
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(_t(document.number))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0,
        9,
        _t(f"{document.get_kind_display()} {document.number}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        6,
        _t(f"Issued {document.issued_at:%Y-%m-%d} - Order {c.get('order', '')}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if c.get("invoice"):
        pdf.cell(0, 6, _t(f"For invoice {c['invoice']}"), new_x="LMARGIN", new_y="NEXT")
    seller = c.get("seller", {})
    pdf.ln(3)
    pdf.multi_cell(
        0,
        5,
        _t(
            f"{seller.get('name', '')}\n{seller.get('address', '')}\nVAT ID {seller.get('vat_id', '')}"
        ),
    )
    pdf.ln(3)
    customer = c.get("customer", {})
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 5, _t(customer.get("name", "")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _t(customer.get("billing_address", "")))
    pdf.ln(4)
    if document.kind == Invoice.Kind.INVOICE:
        widths = [28, 70, 12, 24, 22, 24]
        pdf.set_font("Helvetica", "B", 9)
        for width, head in zip(
            widths,
            ["SKU", "Item", "Qty", "Unit price", "Tax rate", "Amount"],
            strict=True,
        ):
            pdf.cell(width, 6, head, border="B")
        pdf.ln()
        pdf.set_font("Helvetica", "", 9)
        for line in c.get("lines", []):
            cells = [
                line["sku"],
                line["name"][:45],
                line["quantity"],
                format_money(line["unit_price"]),
                line.get("tax_percent", line["tax_rate"]),
                format_money(line["line_total"]),
            ]
            for i, (width, value) in enumerate(zip(widths, cells, strict=True)):
                pdf.cell(width, 6, _t(value), align="R" if i >= 2 else "L")
            pdf.ln()
        pdf.ln(2)
        rows = [
            ("Subtotal", format_money(c.get("subtotal"))),
            ("Discount", f"-{format_money(c.get('discount'))}"),
            ("Shipping", format_money(c.get("shipping"))),
            (
                "Included tax" if c.get("prices_include_tax") else "Tax",
                format_money(c.get("tax")),
            ),
            ("Total", format_money(c.get("total"), document.currency)),
        ]
    else:
        rows = [
            (c.get("reason", ""), format_money(c.get("amount"), document.currency)),
            ("of which tax", format_money(c.get("tax"))),
        ]
    for label, value in rows:
        pdf.cell(150, 6, _t(label), align="R")
        pdf.cell(30, 6, _t(value), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

"""Invoices and credit notes, numbered without gaps per series and year.

A number is taken from ``DocumentSequence`` under a row lock in the same
transaction that writes the document: if the transaction rolls back, so does
the number, and two transactions can never take the same one.
"""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.core.models import ZERO, Order
from orders.money.models import DocumentSequence, Invoice, Refund
from orders.money.pricing import cents

SERIES = {Invoice.Kind.INVOICE: "INV", Invoice.Kind.CREDIT_NOTE: "CN"}


def _next_number(*, series: str, year: int) -> int:
    """Take the next number of a series; call inside the transaction that uses it."""
    try:
        with transaction.atomic():
            DocumentSequence.objects.get_or_create(series=series, year=year)
    except IntegrityError:
        pass  # created by a concurrent transaction a moment ago
    sequence = DocumentSequence.objects.select_for_update().get(
        series=series, year=year
    )
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _issue(
    *,
    kind: str,
    order: Order,
    net: Decimal,
    tax: Decimal,
    total: Decimal,
    content: dict,
    refund=None,
) -> Invoice:
    assert transaction.get_connection().in_atomic_block, (
        "issue documents inside a transaction"
    )
    now = timezone.now()
    year = timezone.localtime(now).year
    number = _next_number(series=SERIES[kind], year=year)
    return Invoice.objects.create(
        kind=kind,
        number=f"{SERIES[kind]}-{year}-{number:06d}",
        year=year,
        sequence=number,
        order=order,
        refund=refund,
        issued_at=now,
        currency=order.currency,
        net=net,
        tax=tax,
        total=total,
        content=content,
    )


def _parties(order: Order) -> dict:
    return {
        "seller": dict(settings.ORDERS_COMPANY),
        "customer": {
            "name": order.customer.name,
            "email": order.customer.email,
            "billing_address": order.billing_address or order.shipping_address,
            "shipping_address": order.shipping_address,
            "country": order.shipping_country,
        },
        "order": order.number,
        "placed_at": order.placed_at.isoformat(),
        "prices_include_tax": settings.ORDERS_PRICES_INCLUDE_TAX,
    }


def invoice_issue(*, order: Order) -> Invoice:
    """The invoice of a paid order (one per order; a second call returns the first)."""
    existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if existing:
        return existing
    lines = [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "line_total": str(line.line_total),
            "discount": str(line.discount_amount),
            "tax_rate": str(line.tax_rate),
            "tax_percent": f"{line.tax_rate * 100:.2f}".rstrip("0").rstrip(".") + " %",
            "tax": str(line.tax_amount),
        }
        for line in order.lines.order_by("pk")
    ]
    content = {
        **_parties(order),
        "lines": lines,
        "subtotal": str(order.subtotal),
        "discount": str(order.discount_total),
        "shipping": str(order.shipping_total),
        "tax": str(order.tax_total),
        "total": str(order.total),
        "payments": [
            {
                "method": p.get_method_display(),
                "amount": str(p.amount_captured),
                "reference": p.reference,
            }
            for p in order.payments.exclude(amount_captured=ZERO)
        ],
    }
    net = order.total - order.tax_total
    return _issue(
        kind=Invoice.Kind.INVOICE,
        order=order,
        net=net,
        tax=order.tax_total,
        total=order.total,
        content=content,
    )


def credit_note_issue(*, refund: Refund) -> Invoice:
    """The credit note of a completed refund; its tax is the order's share of tax in it."""
    order = refund.order
    tax = cents(refund.amount * order.tax_total / order.total) if order.total else ZERO
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    content = {
        **_parties(order),
        "invoice": invoice.number if invoice else "",
        "reason": refund.reason,
        "outcome": refund.get_outcome_display(),
        "amount": str(refund.amount),
        "tax": str(tax),
    }
    return _issue(
        kind=Invoice.Kind.CREDIT_NOTE,
        order=order,
        net=refund.amount - tax,
        tax=tax,
        total=refund.amount,
        content=content,
        refund=refund,
    )

"""The verification checklist: what the first checker ticks, item by item.

Each item's key carries a fingerprint of what was shown (the line's product,
quantity and price; the customer's details; the address; the totals), so a
tick given to a checklist that has since changed does not count: the checker
must look again.
"""

import hashlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from orders.core.models import Order
from orders.money.pricing import price_mismatches


@dataclass(frozen=True)
class CheckItem:
    key: str
    heading: str
    detail: str
    lines: tuple[str, ...] = field(default_factory=tuple)
    warning: str = ""
    # For a line whose price differs from the rules: what the first check accepts.
    price_difference: dict | None = None


def _fingerprint(*parts) -> str:
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def checklist(order: Order) -> list[CheckItem]:
    """Every item a checker confirms: customer, address, each line, the totals."""
    customer = order.customer
    items = [
        CheckItem(
            key=f"customer-{_fingerprint(customer.pk, customer.name, customer.email, customer.phone)}",
            heading=_("Customer details"),
            detail=customer.name,
            lines=tuple(x for x in (customer.email, customer.phone) if x),
        ),
        CheckItem(
            key=f"address-{_fingerprint(order.shipping_address, order.shipping_country, order.billing_address)}",
            heading=_("Shipping address"),
            detail=order.shipping_country,
            lines=tuple(order.shipping_address.splitlines()),
        ),
    ]
    lines = order.line_list()
    mismatches = {m["line"].pk: m for m in price_mismatches(order=order, lines=lines)}
    for line in lines:
        warning, difference = "", None
        if m := mismatches.get(line.pk):
            difference = {
                "line_id": line.pk,
                "sku": line.sku,
                "price": f"{m['captured']:.2f}",
                "rules_price": f"{m['rules']:.2f}",
                "source": line.price_source,
            }
            warning = _(
                "The pricing rules say %(rules)s; this line has %(captured)s (%(source)s%(reason)s)."
            ) % {
                "rules": m["rules"],
                "captured": m["captured"],
                "source": m["captured_source"].lower(),
                "reason": f": {m['reason']}" if m["reason"] else "",
            }
        items.append(
            CheckItem(
                key=f"line{line.pk}-{_fingerprint(line.product_id, line.quantity, line.unit_price)}",
                heading=f"{line.sku} · {line.name}",
                detail=_("%(qty)s × %(price)s %(currency)s = %(total)s")
                % {
                    "qty": line.quantity,
                    "price": line.unit_price,
                    "currency": order.currency,
                    "total": line.line_total,
                },
                lines=(
                    _("Price from: %(source)s")
                    % {"source": line.get_price_source_display()},
                ),
                warning=warning,
                price_difference=difference,
            )
        )
    items.append(
        CheckItem(
            key=f"totals-{_fingerprint(order.discount_total, order.shipping_total, order.total)}",
            heading=_("Discounts, shipping and total"),
            detail=f"{order.total} {order.currency}",
            lines=(
                _("Discount %(d)s · shipping %(s)s · tax %(t)s")
                % {
                    "d": order.discount_total,
                    "s": order.shipping_total,
                    "t": order.tax_total,
                },
            ),
        )
    )
    return items


def checklist_keys(order: Order) -> list[str]:
    """The keys a complete check ticks (what the checklist page posts when all are ticked)."""
    return [item.key for item in checklist(order)]


def price_warnings(items: list[CheckItem]) -> list[str]:
    return [item.warning for item in items if item.warning]

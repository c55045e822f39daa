"""Shopify and WooCommerce order webhooks: signatures, and their orders in our terms.

Both platforms sign the raw body with HMAC-SHA256 and send it base64-encoded
(``X-Shopify-Hmac-Sha256``, ``X-WC-Webhook-Signature``). Their orders are mapped
to an ``IncomingOrder`` for ``order_receive``: email, name, addresses, lines by
SKU (a line without a known SKU is kept aside and named), the store's prices,
shipping, currency, and whether the store already took the money.
"""

import base64
import hashlib
import hmac
import html
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from orders.core.models import Channel
from orders.intake.models import Store
from orders.intake.services import IncomingLine, IncomingOrder


def signature(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)): what both platforms send."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


SIGNATURE_HEADER = {
    Store.Platform.SHOPIFY: "X-Shopify-Hmac-Sha256",
    Store.Platform.WOOCOMMERCE: "X-WC-Webhook-Signature",
}
TOPIC_HEADER = {
    Store.Platform.SHOPIFY: "X-Shopify-Topic",
    Store.Platform.WOOCOMMERCE: "X-WC-Webhook-Topic",
}
DELIVERY_HEADER = {
    Store.Platform.SHOPIFY: "X-Shopify-Webhook-Id",
    Store.Platform.WOOCOMMERCE: "X-WC-Webhook-Delivery-ID",
}


def signed(store: Store, body: bytes, headers) -> bool:
    """Whether ``body`` carries ``store``'s signature (compared in constant time)."""
    given = headers.get(SIGNATURE_HEADER[store.platform], "")
    if not given or not store.secret:
        return False
    return hmac.compare_digest(given.strip(), signature(store.secret, body))


@dataclass
class StoreOrder:
    """A store's order in our terms, and what the store says about it."""

    incoming: IncomingOrder
    unknown: list[str] = field(default_factory=list)  # lines without a product here
    paid: bool = False
    cancelled: bool = False
    test: bool = False
    total: Decimal | None = None  # what the store charged in all (tax included)
    tax: Decimal | None = None  # the store's tax


def _money(value) -> Decimal:
    """A store amount ("57.98", 3, 2.5) as an exact decimal; nonsense is zero."""
    if value is None or value == "":
        return Decimal("0")
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return Decimal("0")


def _lines_of(*parts) -> str:
    return "\n".join(str(p).strip() for p in parts if p and str(p).strip())


def _lines(items, products: set[str], *, sku, name, price) -> tuple[list, list[str]]:
    lines, unknown = [], []
    for item in items or []:
        code = str(item.get("sku") or "").strip()
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            quantity = 0
        if code and code in products:
            lines.append(
                IncomingLine(sku=code, quantity=quantity, unit_price=price(item))
            )
        else:
            label = code or f"no SKU ({html.unescape(str(name(item)))[:80]})"
            unknown.append(f"{quantity} × {label}")
    return lines, unknown


def shopify_order(store: Store, payload: dict, products: set[str]) -> StoreOrder:
    """A Shopify order (``orders/create`` or ``orders/cancelled`` body)."""
    customer = payload.get("customer") or {}
    ship = payload.get("shipping_address") or {}
    bill = payload.get("billing_address") or {}

    def address(a):
        return _lines_of(
            a.get("name"),
            a.get("company"),
            a.get("address1"),
            a.get("address2"),
            " ".join(str(x) for x in (a.get("zip"), a.get("city")) if x),
            a.get("province"),
            a.get("country"),
        )

    person = " ".join(
        str(x) for x in (customer.get("first_name"), customer.get("last_name")) if x
    )
    lines, unknown = _lines(
        payload.get("line_items"),
        products,
        sku=lambda i: i.get("sku"),
        name=lambda i: i.get("name") or i.get("title") or i.get("variant_id"),
        price=lambda i: _money(i.get("price")),
    )
    status = payload.get("financial_status") or ""
    total = _money(payload.get("total_price"))
    outstanding = _money(payload.get("total_outstanding"))
    paid = status in ("paid", "partially_paid", "partially_refunded")
    email = (
        payload.get("email") or payload.get("contact_email") or customer.get("email")
    )
    return StoreOrder(
        incoming=IncomingOrder(
            source=store.source,
            external_id=str(payload.get("id") or ""),
            channel=Channel.WEB,
            email=str(email or ""),
            name=ship.get("name") or bill.get("name") or person or str(email or ""),
            phone=str(
                ship.get("phone") or customer.get("phone") or payload.get("phone") or ""
            ),
            shipping_address=address(ship),
            shipping_country=str(ship.get("country_code") or ""),
            billing_address=address(bill),
            lines=lines,
            shipping_total=sum(
                (_money(s.get("price")) for s in payload.get("shipping_lines") or []),
                Decimal("0"),
            ),
            currency=str(payload.get("currency") or ""),
            paid=(total - outstanding) if paid else None,
            payment_reference=str(payload.get("name") or ""),
        ),
        unknown=unknown,
        paid=paid,
        cancelled=bool(payload.get("cancelled_at")),
        test=bool(payload.get("test")),
        total=total if payload.get("total_price") not in (None, "") else None,
        tax=_money(payload.get("total_tax")),
    )


def woocommerce_order(store: Store, payload: dict, products: set[str]) -> StoreOrder:
    """A WooCommerce order (``order.created`` / ``order.updated`` body)."""
    ship = payload.get("shipping") or {}
    bill = payload.get("billing") or {}

    def address(a):
        return _lines_of(
            " ".join(str(x) for x in (a.get("first_name"), a.get("last_name")) if x),
            a.get("company"),
            a.get("address_1"),
            a.get("address_2"),
            " ".join(str(x) for x in (a.get("postcode"), a.get("city")) if x),
            a.get("state"),
        )

    if not address(ship).strip():
        ship = bill  # WooCommerce leaves shipping empty for orders not shipped apart
    lines, unknown = _lines(
        payload.get("line_items"),
        products,
        sku=lambda i: i.get("sku"),
        name=lambda i: i.get("name") or i.get("product_id"),
        # `price` is a JSON number (line total ÷ quantity, long fractions and
        # all); the line's `subtotal` string divided by its quantity is exact.
        price=lambda i: _money(
            _money(i.get("subtotal")) / i["quantity"]
            if isinstance(i.get("quantity"), int) and i.get("quantity")
            else i.get("price")
        ),
    )
    status = str(payload.get("status") or "")
    # WooCommerce sets date_paid when the money is in (an unpaid order.created,
    # cash on delivery say, arrives without it and is paid by a later update).
    paid = bool(payload.get("date_paid") or payload.get("date_paid_gmt"))
    name = " ".join(
        str(x) for x in (ship.get("first_name"), ship.get("last_name")) if x
    )
    return StoreOrder(
        incoming=IncomingOrder(
            source=store.source,
            external_id=str(payload.get("id") or ""),
            channel=Channel.WEB,
            email=str(bill.get("email") or ""),
            name=name or str(bill.get("email") or ""),
            phone=str(ship.get("phone") or bill.get("phone") or ""),
            shipping_address=address(ship),
            shipping_country=str(ship.get("country") or bill.get("country") or ""),
            billing_address=address(bill),
            lines=lines,
            shipping_total=_money(payload.get("shipping_total")),
            currency=str(payload.get("currency") or ""),
            paid=_money(payload.get("total")) if paid else None,
            payment_reference=str(
                payload.get("transaction_id") or payload.get("number") or ""
            ),
        ),
        unknown=unknown,
        paid=paid,
        cancelled=status in ("cancelled", "refunded"),
        total=_money(payload.get("total"))
        if payload.get("total") not in (None, "")
        else None,
        tax=_money(payload.get("total_tax")),
    )


MAPPERS = {
    Store.Platform.SHOPIFY: shopify_order,
    Store.Platform.WOOCOMMERCE: woocommerce_order,
}
# What each topic asks for: a new order, or news about one we may have.
CREATES = {"orders/create", "order.created"}
CANCELS = {"orders/cancelled"}
UPDATES = {"order.updated", "orders/updated", "orders/paid"}

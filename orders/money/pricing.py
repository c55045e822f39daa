"""Prices, discounts and taxes: how every amount on an order is worked out.

Rounding rule (the only one): every amount is rounded to the cent, half up,
at the step where it is computed:

1. A line total is ``unit price × quantity``, rounded.
2. Order discounts are worked out on the subtotal (the sum of line totals):
   a percentage is rounded, a fixed amount is capped at what is left. The total
   discount is spread over the lines in proportion to their totals; each share
   is rounded and the remainder of rounding goes to the largest line, so the
   shares add up to the discount exactly.
3. Tax is per line on (line total − its discount share), at the rate of the
   product's tax class in the destination country. With net prices
   ``tax = round(base × rate)``; with gross prices (``ORDERS_PRICES_INCLUDE_TAX``)
   ``tax = base − round(base ÷ (1 + rate))``. Shipping is taxed the same way at
   the destination's standard rate.
4. Order total = subtotal − discount + shipping, plus tax when prices are net.

``order_recalculate`` applies this and is the one function every change of
lines, discounts or shipping goes through.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Product
from orders.conditions import price_acceptable
from orders.core.models import ZERO, Order, OrderLine, PriceSource
from orders.customer.models import Customer
from orders.exceptions import InvalidOrder
from orders.money.pricing_models import (
    DiscountKind,
    PriceList,
    PriceListEntry,
    TaxRate,
)
from orders.permissions import require
from ordersite import limits

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def cents(amount: Decimal) -> Decimal:
    """Round to the cent, half up: the project's one rounding rule."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------
# Price resolution
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResolvedPrice:
    unit_price: Decimal
    source: str
    price_list: PriceList | None = None


def _valid_lists(on: date) -> Q:
    return (
        Q(price_list__active=True)
        & (Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on))
        & (Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=on))
    )


def prices_resolve(
    *, customer: Customer, items: list[tuple], on: date | None = None
) -> list[ResolvedPrice]:
    """The prices the rules give today for ``items`` (``(product, quantity)`` pairs), in one query.

    Precedence: the customer's own price lists, then their group's, then the
    catalogue. Within one level the entry with the largest quantity break not
    above the quantity counts per list; if several valid lists apply, the lowest
    price wins (agreed prices never make a customer pay more than another list
    they hold).
    """
    on = on or timezone.localdate()
    if not items:
        return []
    # A customer not saved yet (a quote for a new one) holds no lists of its own.
    scope = Q(price_list__customer=customer) if customer.pk else Q(pk__in=[])
    if customer.group_id:
        scope |= Q(price_list__group_id=customer.group_id)
    entries: dict[int, list[PriceListEntry]] = {}
    for entry in (
        PriceListEntry.objects.filter(
            _valid_lists(on), scope, product__in={p.pk for p, _q in items}
        )
        .select_related("price_list")
        .order_by("price_list_id", "-min_quantity")
    ):
        entries.setdefault(entry.product_id, []).append(entry)
    levels = [
        (
            PriceSource.CUSTOMER_LIST,
            lambda pl: customer.pk is not None and pl.customer_id == customer.pk,
        )
    ]
    if customer.group_id:
        levels.append(
            (PriceSource.GROUP_LIST, lambda pl: pl.group_id == customer.group_id)
        )
    resolved = []
    for product, quantity in items:
        found = ResolvedPrice(Decimal(product.unit_price), PriceSource.CATALOGUE)
        candidates = [
            e for e in entries.get(product.pk, []) if e.min_quantity <= quantity
        ]
        for source, belongs in levels:
            best: dict[int, PriceListEntry] = {}
            for entry in candidates:
                if belongs(entry.price_list):
                    best.setdefault(
                        entry.price_list_id, entry
                    )  # largest break per list
            if best:
                entry = min(
                    best.values(), key=lambda e: (e.unit_price, e.price_list_id)
                )
                found = ResolvedPrice(entry.unit_price, source, entry.price_list)
                break
        resolved.append(found)
    return resolved


def price_resolve(
    *, product, customer: Customer, quantity: int, on: date | None = None
) -> ResolvedPrice:
    """The price the rules give today for one product and quantity (see ``prices_resolve``)."""
    [resolved] = prices_resolve(customer=customer, items=[(product, quantity)], on=on)
    return resolved


def price_mismatches(
    *, order: Order, lines: list[OrderLine] | None = None
) -> list[dict]:
    """Lines whose captured price differs from what the rules say today.

    Manual prices are listed too when they differ, with the reason given, so
    the second checker sees every price that is not the rules' price. The
    rules are read once for all lines, whatever their number.
    """
    lines = order.line_list() if lines is None else lines
    rules = prices_resolve(
        customer=order.customer,
        items=[(line.product, line.quantity) for line in lines],
    )
    found = []
    for line, rule in zip(lines, rules, strict=True):
        if rule.unit_price != line.unit_price:
            found.append(
                {
                    "line": line,
                    "captured": line.unit_price,
                    "captured_source": line.get_price_source_display(),
                    "rules": rule.unit_price,
                    "rules_source": PriceSource(rule.source).label,
                    "reason": line.price_reason,
                }
            )
    return found


# ------------------------------------------------------------------------------
# Tax
# ------------------------------------------------------------------------------
def tax_rate_for(*, tax_class_id: str, country: str) -> Decimal:
    """The configured rate; a missing one is a configuration error staff must fix."""
    rate = (
        TaxRate.objects.filter(tax_class_id=tax_class_id, country=country.upper())
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise InvalidOrder(
            _(
                "No tax rate is configured for class “%(cls)s” in %(country)s; add it in the admin."
            )
            % {"cls": tax_class_id, "country": country}
        )
    return rate


def tax_rates_for(*, country: str, tax_class_ids: set[str]) -> dict[str, Decimal]:
    """The configured rates of these tax classes in ``country``, in one query; a
    missing one is the same configuration error as ``tax_rate_for`` raises."""
    rates = dict(
        TaxRate.objects.filter(
            tax_class_id__in=tax_class_ids, country=country.upper()
        ).values_list("tax_class_id", "rate")
    )
    for missing in sorted(tax_class_ids - rates.keys()):
        tax_rate_for(tax_class_id=missing, country=country)  # raises, saying which
    return rates


def tax_on(base: Decimal, rate: Decimal) -> Decimal:
    """The tax in (gross prices) or on (net prices) ``base``, per the rounding rule."""
    if settings.ORDERS_PRICES_INCLUDE_TAX:
        return base - cents(base / (1 + rate))
    return cents(base * rate)


# ------------------------------------------------------------------------------
# Totals
# ------------------------------------------------------------------------------
def discount_amount(*, kind: str, value: Decimal, base: Decimal) -> Decimal:
    """What a discount takes off ``base`` (never more than ``base``)."""
    if kind == DiscountKind.PERCENT:
        return min(base, cents(base * value / HUNDRED))
    return min(base, cents(value))


def spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``; shares add up exactly."""
    total = sum(weights, ZERO)
    if not weights or total == 0:
        return [ZERO for _w in weights]
    shares = [cents(amount * w / total) for w in weights]
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    shares[largest] += amount - sum(shares, ZERO)
    return shares


def order_recalculate(*, order: Order) -> None:
    """Recompute discounts, tax and totals of ``order`` and its lines (the order is not saved)."""
    lines = list(order.lines.select_related("product").order_by("pk"))
    discounts = list(order.discounts.order_by("pk")) if order.pk else []
    work_out_totals(order=order, lines=lines, discounts=discounts)
    OrderLine.objects.bulk_update(
        lines, ["line_total", "discount_amount", "tax_rate", "tax_amount"]
    )
    if discounts:
        type(discounts[0]).objects.bulk_update(discounts, ["amount"])


def work_out_totals(*, order: Order, lines: list[OrderLine], discounts: list) -> None:
    """Set the amounts of ``lines`` (each with its product), ``discounts`` and ``order``
    by the rounding rule; nothing is saved. Placement calls it on lines not yet
    written; every later change goes through ``order_recalculate``."""
    for line in lines:
        line.line_total = cents(line.unit_price * line.quantity)
    subtotal = sum((line.line_total for line in lines), ZERO)

    remaining, discount = subtotal, ZERO
    for d in discounts:
        d.amount = discount_amount(kind=d.kind, value=d.value, base=remaining)
        remaining -= d.amount
        discount += d.amount
    rates = tax_rates_for(
        country=order.shipping_country,
        tax_class_ids={line.product.tax_class_id for line in lines}
        | ({"standard"} if order.shipping_total else set()),
    )
    for line, share in zip(
        lines, spread(discount, [line.line_total for line in lines]), strict=True
    ):
        line.discount_amount = share
        line.tax_rate = rates[line.product.tax_class_id]
        line.tax_amount = tax_on(line.line_total - share, line.tax_rate)

    shipping_tax = (
        tax_on(order.shipping_total, rates["standard"])
        if order.shipping_total
        else ZERO
    )
    too_big = max(
        [subtotal, order.shipping_total, *(line.line_total for line in lines)]
    )
    if too_big > limits.max_order_total():
        raise InvalidOrder(
            _(
                "That would make the order %(amount)s; an order may be at most %(limit)s."
            )
            % {"amount": f"{too_big:,.2f}", "limit": f"{limits.max_order_total():,.2f}"}
        )
    order.subtotal = subtotal
    order.discount_total = discount
    order.tax_total = sum((line.tax_amount for line in lines), ZERO) + shipping_tax
    order.total = subtotal - discount + order.shipping_total
    if not settings.ORDERS_PRICES_INCLUDE_TAX:
        order.total += order.tax_total


# ------------------------------------------------------------------------------
# Pricing a line to place
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineInput:
    """A line to place. ``unit_price`` set means a manual price, which needs a reason."""

    product: Product
    quantity: int
    unit_price: Decimal | None = None
    price_reason: str = ""


def sku_of(line: LineInput) -> dict:
    return {"sku": line.product.sku}


def to_money(value, *, what: str) -> Decimal:
    """``value`` as a Decimal rounded to cents; floats are refused, never rounded silently."""
    if isinstance(value, float) or value is None:
        raise InvalidOrder(
            _("%(what)s must be an exact amount (Decimal), not %(value)r.")
            % {"what": what, "value": value}
        )
    try:
        return cents(Decimal(value))
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidOrder(
            _("%(what)s is not an amount: %(value)r.") % {"what": what, "value": value}
        ) from None


def quantity_in_range(quantity, *, sku: str) -> int:
    """A line's quantity: a whole number from 1 to the configured ceiling, else refused."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidOrder(
            _("%(sku)s: the quantity must be a whole number.") % {"sku": sku}
        )
    if not 1 <= quantity <= limits.max_line_quantity():
        raise InvalidOrder(
            _("%(sku)s: the quantity must be from 1 to %(limit)s.")
            % {"sku": sku, "limit": f"{limits.max_line_quantity():,}"}
        )
    return quantity


def price_line(*, line: LineInput, customer: Customer, actor) -> OrderLine:
    """Price one line: a manual price (with its reason) or what the pricing rules say."""
    [priced] = price_lines(lines=[line], customer=customer, actor=actor)
    return priced


def price_lines(
    *, lines: list[LineInput], customer: Customer, actor, authorised: bool = False
) -> list[OrderLine]:
    """Price every line (see ``price_line``), reading the pricing rules once for all.

    ``authorised``: the calling service lets an integration set its own prices
    (a store's price that differs from the rules, flagged for the verifier)."""
    manual = {}
    for index, line in enumerate(lines):
        quantity_in_range(line.quantity, sku=line.product.sku)
        if not line.product.active:
            raise InvalidOrder(_("%(sku)s is not sold any more.") % sku_of(line))
        if line.unit_price is not None:
            manual[index] = _manual_price(line, actor, authorised=authorised)
    ruled = [i for i in range(len(lines)) if i not in manual]
    rules = dict(
        zip(
            ruled,
            prices_resolve(
                customer=customer,
                items=[(lines[i].product, lines[i].quantity) for i in ruled],
            ),
            strict=True,
        )
    )
    priced = []
    for index, line in enumerate(lines):
        fields = {
            "product": line.product,
            "sku": line.product.sku,
            "name": line.product.name,
            "quantity": line.quantity,
        }
        if index in manual:
            priced.append(
                OrderLine(
                    **fields,
                    unit_price=manual[index],
                    price_source=PriceSource.MANUAL,
                    price_reason=line.price_reason.strip(),
                )
            )
            continue
        rule = rules[index]
        if not price_acceptable(rule.unit_price, manual=False, reason=""):
            raise InvalidOrder(
                _(
                    "%(sku)s has no price in the catalogue or the customer's price "
                    "lists; set a manual price with a reason (0 for a free line)."
                )
                % sku_of(line)
            )
        priced.append(
            OrderLine(
                **fields,
                unit_price=rule.unit_price,
                price_source=rule.source,
                price_list=rule.price_list,
            )
        )
    return priced


def _manual_price(line: LineInput, actor, *, authorised: bool = False) -> Decimal:
    price = to_money(line.unit_price, what=_("The price of %(sku)s") % sku_of(line))
    if price < 0:
        raise InvalidOrder(_("%(sku)s: a price cannot be negative.") % sku_of(line))
    if price > limits.max_unit_price():
        raise InvalidOrder(
            _("%(sku)s: a unit price may be at most %(limit)s.")
            % {**sku_of(line), "limit": f"{limits.max_unit_price():,.2f}"}
        )
    if not line.price_reason.strip():
        raise InvalidOrder(_("%(sku)s: a manual price needs a reason.") % sku_of(line))
    require(actor, "set_manual_price", _("set manual prices"), authorised=authorised)
    return price

"""Receiving an order from another system, once, with every problem named.

The API, the store connectors and the CSV import all hand an ``IncomingOrder``
to ``order_receive``: it checks everything first (currency, SKUs, quantities,
prices against the pricing rules) and names each problem with the path of the
field it is about, so nothing is half-written; then, in one transaction, it
finds or creates the customer, places the order through ``order_place``,
and records a payment the store already took. The same ``(source,
external_id)`` again returns the order it made, also when two deliveries
arrive at the same moment (the database's unique constraint decides).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from inventory.models import Product
from orders.core.models import Channel, Order
from orders.core.services import order_place
from orders.customer.models import Customer
from orders.customer.services import customer_find_or_create
from orders.exceptions import InvalidOrder, OrderError
from orders.money.payments import payment_record_from_store
from orders.money.position import money_position
from orders.money.pricing import LineInput, prices_resolve
from ordersite import limits


class PriceMismatch:
    """What to do with a store price the pricing rules disagree with."""

    FLAG = "flag"  # accept it as a manual price, flagged for the verifier
    REFUSE = "refuse"  # refuse the order, naming the line


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an incoming order: where (a JSON pointer), a machine
    code, and words for the person who sent it."""

    field: str
    code: str
    detail: str


class IntakeRefused(InvalidOrder):
    """The incoming order cannot be placed; ``problems`` says each reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(p.detail for p in problems))


@dataclass(frozen=True)
class IncomingLine:
    sku: str
    quantity: int
    unit_price: Decimal | None = None  # the store's price; None: the pricing rules


@dataclass(frozen=True)
class IncomingOrder:
    source: str  # "api:<integration>", "shopify:<store>", "import:<file>"
    external_id: str  # the order's id at the source ("" when it has none)
    email: str
    name: str
    lines: list[IncomingLine]
    shipping_address: str
    shipping_country: str
    phone: str = ""
    billing_address: str = ""
    shipping_total: Decimal = Decimal("0")
    currency: str = ""
    channel: str = Channel.API
    paid: Decimal | None = None  # taken by the store already
    payment_reference: str = ""
    price_mismatch: str = PriceMismatch.FLAG
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    order: Order
    created: bool  # False: the source sent this order before


def order_receive(*, incoming: IncomingOrder, actor) -> Received:
    """Place ``incoming`` once (see the module's docstring); raises ``IntakeRefused``
    naming every problem, and nothing is written."""
    if earlier := _already_received(incoming):
        return Received(order=earlier, created=False)
    products = _check(incoming)
    customer = (
        Customer.objects.filter(email__iexact=incoming.email.strip())
        .order_by("pk")
        .first()
    )
    lines = _lines(incoming, products, customer, actor)
    try:
        with transaction.atomic():
            customer = customer or customer_find_or_create(
                email=incoming.email,
                name=incoming.name,
                phone=incoming.phone,
                address=incoming.shipping_address,
                country=incoming.shipping_country,
            )
            order = order_place(
                customer=customer,
                channel=incoming.channel,
                lines=lines,
                actor=actor,
                channel_reference=incoming.external_id,
                shipping_total=incoming.shipping_total,
                shipping_address=incoming.shipping_address,
                shipping_country=incoming.shipping_country,
                billing_address=incoming.billing_address,
                source=incoming.source,
                external_id=incoming.external_id,
                prices_authorised=True,
            )
            if incoming.paid:
                store_payment(
                    order=order, amount=incoming.paid, actor=actor, incoming=incoming
                )
    except IntegrityError:
        # The same order, delivered twice at the same moment: the other won.
        if earlier := _already_received(incoming):
            return Received(order=earlier, created=False)
        raise
    except IntakeRefused:
        raise
    except OrderError as exc:
        raise IntakeRefused([Problem("", "invalid_order", str(exc))]) from exc
    return Received(order=order, created=True)


def store_payment(*, order: Order, amount: Decimal, actor, incoming: IncomingOrder):
    """Record what the store took; more than the order owes here (the store worked
    out tax or shipping differently) is refused, naming both amounts."""
    owed = money_position(order).payable
    if amount > owed:
        raise IntakeRefused(
            [
                Problem(
                    "/payment/amount",
                    "payment_exceeds_total",
                    _(
                        "The store took %(paid)s but the order comes to %(owed)s here; "
                        "check the prices, tax and shipping."
                    )
                    % {"paid": amount, "owed": owed},
                )
            ]
        )
    return payment_record_from_store(
        order=order, amount=amount, actor=actor, reference=incoming.payment_reference
    )


def _already_received(incoming: IncomingOrder) -> Order | None:
    if not incoming.external_id:
        return None
    return Order.objects.filter(
        source=incoming.source, external_id=incoming.external_id
    ).first()


def _check(incoming: IncomingOrder) -> dict[str, Product]:
    """Every problem of the incoming order at once; the products by SKU if none."""
    problems = []
    currency = settings.ORDERS_CURRENCY
    if incoming.currency and incoming.currency.upper() != currency:
        problems.append(
            Problem(
                "/currency",
                "unknown_currency",
                _("This shop sells in %(ours)s; %(given)s is not accepted.")
                % {"ours": currency, "given": incoming.currency[:10]},
            )
        )
    if not incoming.lines:
        problems.append(
            Problem("/lines", "no_lines", _("An order needs at least one line."))
        )
    skus = {line.sku for line in incoming.lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    ceiling = limits.max_line_quantity()
    for i, line in enumerate(incoming.lines):
        product = products.get(line.sku)
        if product is None:
            problems.append(
                Problem(
                    f"/lines/{i}/sku",
                    "unknown_sku",
                    _("No product has the SKU “%(sku)s”.") % {"sku": line.sku[:64]},
                )
            )
        elif not product.active:
            problems.append(
                Problem(
                    f"/lines/{i}/sku",
                    "inactive_product",
                    _("%(sku)s is not sold any more.") % {"sku": line.sku},
                )
            )
        if not 1 <= line.quantity <= ceiling:
            problems.append(
                Problem(
                    f"/lines/{i}/quantity",
                    "quantity_out_of_range",
                    _("A quantity must be from 1 to %(max)s.")
                    % {"max": f"{ceiling:,}"},
                )
            )
        if line.unit_price is not None and not (
            0 <= line.unit_price <= limits.max_unit_price()
        ):
            problems.append(
                Problem(
                    f"/lines/{i}/unit_price",
                    "price_out_of_range",
                    _("A unit price must be from 0 to %(max)s.")
                    % {"max": f"{limits.max_unit_price():,.2f}"},
                )
            )
    if problems:
        raise IntakeRefused(problems)
    return products


def _lines(incoming, products, customer, actor) -> list[LineInput]:
    """The lines to place: the pricing rules' price where the store gave none or
    the same; the store's price, flagged with the rules' price, where they differ
    (or a refusal, when the integration is set to refuse)."""
    rules = prices_resolve(
        customer=customer or Customer(shipping_country=incoming.shipping_country),
        items=[(products[line.sku], line.quantity) for line in incoming.lines],
    )
    lines, problems = [], []
    for i, (line, rule) in enumerate(zip(incoming.lines, rules, strict=True)):
        product = products[line.sku]
        if line.unit_price is None or line.unit_price == rule.unit_price:
            lines.append(LineInput(product=product, quantity=line.quantity))
            continue
        if incoming.price_mismatch == PriceMismatch.REFUSE:
            problems.append(
                Problem(
                    f"/lines/{i}/unit_price",
                    "price_mismatch",
                    _("%(sku)s costs %(rule)s by our pricing rules, not %(given)s.")
                    % {
                        "sku": line.sku,
                        "rule": rule.unit_price,
                        "given": line.unit_price,
                    },
                )
            )
            continue
        lines.append(
            LineInput(
                product=product,
                quantity=line.quantity,
                unit_price=line.unit_price,
                price_reason=_("Price from %(source)s; the pricing rules say %(rule)s.")
                % {"source": incoming.source, "rule": rule.unit_price},
            )
        )
    if problems:
        raise IntakeRefused(problems)
    return lines

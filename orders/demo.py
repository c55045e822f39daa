"""Driving an order along its lifecycle through the services, as staff would.

Used by ``seed_demo`` to build the demo data and by the tests to put an order
in a given state without bypassing any rule.
"""

import random
from dataclasses import dataclass

from orders.core.models import Order, OrderStatus
from orders.fulfilment import services as fulfilment
from orders.money import payments
from orders.money.models import Payment
from orders.money.providers import TestCardProvider
from orders.stock import services as stock
from orders.verification import services as verification
from orders.verification.checklist import checklist_keys

# The happy path, step by step; "checked" is ``placed`` with its first check done.
PATH = [
    "placed",
    "checked",
    OrderStatus.VERIFIED,
    OrderStatus.ALLOCATED,
    OrderStatus.PAID,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
]
CARRIERS = ["DHL", "UPS", "DPD", "GLS"]


@dataclass
class Crew:
    """Who does each step: four-eyes needs a checker and a different verifier."""

    clerk: object
    verifier: object
    warehouse: object


def step(order: Order, to: str, *, crew: Crew, rng: random.Random) -> Order:
    """Take one step of the happy path, ending in ``to``."""
    if to == "checked":
        return verification.order_record_first_check(
            order=order, actor=crew.clerk, checked=checklist_keys(order)
        )
    if to == OrderStatus.VERIFIED:
        return verification.order_verify(order=order, actor=crew.verifier)
    if to == OrderStatus.ALLOCATED:
        return stock.order_check_inventory(order=order, actor=crew.warehouse)
    if to == OrderStatus.PAID:
        pay(order, crew=crew, rng=rng)
        # Covering the total of an allocated order moves it to paid by itself.
        return Order.objects.get(pk=order.pk)
    if to == OrderStatus.PICKING:
        return fulfilment.order_start_picking(order=order, actor=crew.warehouse)
    if to == OrderStatus.PACKED:
        return fulfilment.order_pack(
            order=order,
            actor=crew.warehouse,
            scanned=[f"{line.sku} x {line.quantity}" for line in order.lines.all()],
        )
    if to == OrderStatus.SHIPPED:
        return fulfilment.order_ship(
            order=order,
            actor=crew.warehouse,
            carrier=rng.choice(CARRIERS),
            tracking_number=f"{rng.randint(10**11, 10**12 - 1)}",
        )
    if to == OrderStatus.DELIVERED:
        return fulfilment.order_mark_delivered(order=order, actor=None)
    if to == OrderStatus.COMPLETED:
        return fulfilment.order_complete(order=order, actor=crew.clerk)
    raise ValueError(f"{to!r} is not a step of the happy path")


MANUAL_METHODS = [
    Payment.Method.BANK_TRANSFER,
    Payment.Method.CASH_ON_DELIVERY,
    Payment.Method.CARD_BY_PHONE,
    Payment.Method.INVOICE,
]


def pay(
    order: Order, *, crew: Crew, rng: random.Random, method: str | None = None
) -> Payment:
    """Pay the order's total the way a customer might: by card or by a manual method."""
    method = method or rng.choice([Payment.Method.CARD, *MANUAL_METHODS])
    if method == Payment.Method.CARD:
        return payments.payment_take_card(
            order=order,
            amount=order.total,
            card_number=TestCardProvider.OK,
            actor=crew.clerk,
        )
    return payments.payment_record_manual(
        order=order,
        method=method,
        amount=order.total,
        actor=crew.clerk,
        reference=f"PAY-{rng.randint(100000, 999999)}",
    )


def advance(
    order: Order, to: str, *, crew: Crew, rng: random.Random | None = None
) -> Order:
    """Walk a freshly placed order along the happy path until it is in ``to``."""
    rng = rng or random.Random(0)
    for target in PATH[1 : PATH.index(to) + 1]:
        order = step(order, target, crew=crew, rng=rng)
    return order

"""``generate_load_data``: bulk orders whose histories, money and stock agree with the app's rules."""

import random
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max, Min, Sum

from inventory.models import StockItem, StockMovement
from orders import demo
from orders.core import services
from orders.models import (
    Customer,
    DocumentSequence,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    Payment,
    Shipment,
    ShipmentLine,
)
from orders.money import pricing
from orders.money.position import money_positions
from orders.permissions import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

S = OrderStatus
PAID_OR_BEYOND = {S.PAID, S.PICKING, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED}
SHIPPED_OR_BEYOND = {S.SHIPPED, S.DELIVERED, S.COMPLETED}


def generate(orders, seed=7):
    out = StringIO()
    call_command("generate_load_data", orders=orders, seed=seed, stdout=out)
    return out.getvalue()


def audit() -> str:
    out = StringIO()
    call_command("audit_stock", stdout=out)  # raises CommandError on a mismatch
    return out.getvalue()


def stage(order: Order) -> str:
    """Where the order is in its lifecycle (a held order: where it was held)."""
    return order.held_from if order.status == S.ON_HOLD else order.status


def allocations_match_stock():
    promised = dict(
        OrderLineAllocation.objects.values_list("stock_item")
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    for item in StockItem.objects.all():
        assert item.allocated == promised.get(item.pk, 0), item
        assert 0 <= item.allocated <= item.on_hand, item


def test_two_thousand_orders_with_consistent_histories_money_and_stock(client):
    output = generate(2000)
    assert "chunk 1/1" in output and "orders/s" in output
    assert "orders_orderevent" in output  # rows per table

    # The mix: about 1 % open (the newest), a few % cancelled, mostly completed.
    orders = list(Order.objects.order_by("pk"))
    assert len(orders) == 2000
    states = Counter(o.status for o in orders)
    done = {S.COMPLETED, S.CANCELLED, S.DELIVERED}
    still_open = [o for o in orders if o.status not in done]
    assert 10 <= len(still_open) <= 50, states
    assert states[S.COMPLETED] >= 0.85 * 2000, states
    assert 0.01 * 2000 <= states[S.CANCELLED] <= 0.06 * 2000, states
    assert states[S.DELIVERED] > 0, states
    newest = {o.pk for o in orders[-len(still_open) * 2 :]}
    assert all(o.pk in newest for o in still_open), "open orders are the newest"
    placed = [o.placed_at for o in orders]
    assert placed == sorted(placed), "ids and placement times rise together"
    assert (placed[-1] - placed[0]).days > 3 * 365 - 3
    assert len({o.tracking_token for o in orders}) == 2000
    assert {len(o.tracking_token) for o in orders} == {32}
    assert all(o.number == f"ORD-{o.pk:06d}" for o in orders)
    assert Customer.objects.count() == pytest.approx(2000 / 3, abs=2)
    assert Customer.objects.filter(email__regex=r"^load[0-9]+@example\.com$").count()

    # Lines, tax and totals as pricing works them out (no discounts).
    lines = defaultdict(list)
    for line in OrderLine.objects.select_related("product"):
        lines[line.order_id].append(line)
    assert set(lines) == {o.pk for o in orders}, "every order has lines"
    counts = [len(ls) for ls in lines.values()]
    assert min(counts) >= 1 and max(counts) <= 5
    assert 2.6 <= sum(counts) / len(counts) <= 3.4
    for order in orders:
        taxed = 0
        for line in lines[order.pk]:
            assert line.line_total == pricing.cents(line.unit_price * line.quantity)
            assert line.unit_price == line.product.unit_price
            assert line.tax_rate == pricing.tax_rate_for(
                tax_class_id=line.product.tax_class_id, country=order.shipping_country
            )
            assert line.tax_amount == pricing.tax_on(line.line_total, line.tax_rate)
            taxed += line.tax_amount
        assert order.subtotal == sum(line.line_total for line in lines[order.pk])
        shipping_tax = (
            pricing.tax_on(
                order.shipping_total,
                pricing.tax_rate_for(
                    tax_class_id="standard", country=order.shipping_country
                ),
            )
            if order.shipping_total
            else 0
        )
        assert order.tax_total == taxed + shipping_tax
        tax_on_top = 0 if settings.ORDERS_PRICES_INCLUDE_TAX else order.tax_total
        assert order.total == order.subtotal + order.shipping_total + tax_on_top

    # Money: one captured card payment and one invoice per order paid or beyond.
    paid = {o.pk for o in orders if stage(o) in PAID_OR_BEYOND}
    payments = list(Payment.objects.all())
    assert {p.order_id for p in payments} == paid and len(payments) == len(paid)
    totals = {o.pk: o.total for o in orders}
    for p in payments:
        assert (p.provider, p.method, p.status, p.card_last4) == (
            "test_card",
            "card",
            "captured",
            "4242",
        )
        assert p.amount == p.amount_captured == totals[p.order_id]
    positions = money_positions([o for o in orders if o.pk in paid])
    assert all(position.owed == 0 for position in positions.values())
    # what the payments hold is kept on the order, as the services keep it
    every = money_positions(orders)
    assert all(o.amount_held == every[o.pk].held for o in orders)
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    assert set(invoices.values_list("order_id", flat=True)) == paid
    for year, top in invoices.values_list("year").annotate(m=Max("sequence")):
        assert DocumentSequence.objects.get(series="INV", year=year).last_number == top
        assert invoices.filter(year=year).count() == top  # no gaps

    # Shipments: everything that left, with a configured carrier.
    shipped = {o.pk for o in orders if o.status in SHIPPED_OR_BEYOND}
    assert set(Shipment.objects.values_list("order_id", flat=True)) == shipped
    assert set(Shipment.objects.values_list("carrier", flat=True)) <= set(
        settings.ORDERS_CARRIER_TRACKING_URLS
    )
    in_parcels = dict(
        ShipmentLine.objects.values_list("order_line").annotate(n=Sum("quantity"))
    )
    for order_id in shipped:
        for line in lines[order_id]:
            assert in_parcels[line.pk] == line.quantity

    # Stock: allocations only where the order holds stock, and the ledger agrees.
    holding = {o.pk for o in orders if o.holds_stock()}
    assert (
        set(OrderLineAllocation.objects.values_list("line__order_id", flat=True))
        == holding
    )
    allocations_match_stock()
    assert "match the ledger" in audit()
    kinds = Counter(StockMovement.objects.values_list("kind", flat=True))
    assert kinds["allocation"] and kinds["shipment"] and kinds["receipt"]

    # Timelines: a fact for each step, in order.
    per_order = Counter(OrderEvent.objects.values_list("order_id", flat=True))
    completed = [o for o in orders if o.status == S.COMPLETED]
    average = sum(per_order[o.pk] for o in completed) / len(completed)
    assert 13 <= average <= 16
    order = completed[len(completed) // 2]
    types = list(
        order.events.order_by("created_at", "pk").values_list("type", flat=True)
    )
    assert types[0] == "placed" and types[-1] == "completed"
    assert order.status_changed_at == order.completed_at

    # The pages of a generated order render: staff and customer.
    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "x")
    client.force_login(boss)
    response = client.get(f"/staff/orders/{order.number}/")
    assert response.status_code == 200
    assert order.shipments.get().tracking_number in response.content.decode()
    response = client.get(f"/track/{order.tracking_token}/")
    assert response.status_code == 200
    for status in (S.CANCELLED, S.DELIVERED):
        other = Order.objects.filter(status=status).first()
        assert client.get(f"/staff/orders/{other.number}/").status_code == 200
        assert client.get(f"/track/{other.tracking_token}/").status_code == 200


def test_a_second_run_continues_and_the_services_work_afterwards():
    generate(300, seed=1)
    first = Order.objects.aggregate(n=Count("pk"), top=Max("pk"), last=Max("placed_at"))
    customers = Customer.objects.count()
    output = generate(200, seed=2)
    assert "open" in output  # warned: there is little time left before now
    second = Order.objects.filter(pk__gt=first["top"]).aggregate(
        n=Count("pk"), first=Min("placed_at")
    )
    assert second["n"] == 200 and second["first"] > first["last"]
    assert Order.objects.count() == 500
    assert Customer.objects.count() > customers
    assert Customer.objects.values("email").distinct().count() == (
        Customer.objects.count()
    )
    assert "match the ledger" in audit()
    allocations_match_stock()

    # A new order placed through the services gets a fresh number and runs its
    # whole life on top of the generated data.
    User = get_user_model()
    crew = demo.Crew(
        clerk=User.objects.get(username="load-clerk-1"),
        verifier=User.objects.get(username="load-verifier-1"),
        warehouse=User.objects.get(username="load-warehouse-1"),
    )
    item = (
        StockItem.objects.filter(warehouse__is_default=True)
        .order_by("-on_hand", "pk")
        .first()
    )
    assert item.available >= 2
    top = Order.objects.aggregate(m=Max("pk"))["m"]
    numbers = set(Order.objects.values_list("number", flat=True))
    order = services.order_place(
        customer=Customer.objects.order_by("pk").first(),
        channel="web",
        lines=[pricing.LineInput(product=item.product, quantity=2)],
    )
    assert order.pk > top and order.number == f"ORD-{order.pk:06d}"
    assert order.number not in numbers
    rng = random.Random(3)
    order = demo.advance(order, S.ALLOCATED, crew=crew, rng=rng)
    assert order.status == S.ALLOCATED
    demo.pay(order, crew=crew, rng=rng, method=Payment.Method.CARD)
    order = Order.objects.get(pk=order.pk)
    for step in (S.PICKING, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED):
        order = demo.step(order, step, crew=crew, rng=rng)
    assert order.status == S.COMPLETED
    invoice = order.invoices.get()
    assert invoice.sequence == (
        DocumentSequence.objects.get(series="INV", year=invoice.year).last_number
    )
    assert Invoice.objects.filter(year=invoice.year).count() == invoice.sequence
    assert "match the ledger" in audit()
    allocations_match_stock()

    # The generated facts have the shapes the services record.
    made = [
        e for e in order.events.order_by("created_at", "pk") if e.type != "email_queued"
    ]
    twin = (
        Order.objects.filter(status=S.COMPLETED, pk__lte=top)
        .exclude(events__type="backordered")
        .order_by("pk")
        .first()
    )
    generated = list(twin.events.order_by("created_at", "pk"))
    assert [e.type for e in generated] == [e.type for e in made]
    for ours, theirs in zip(generated, made, strict=True):
        assert set(ours.data) == set(theirs.data), ours.type
        assert (ours.from_status, ours.to_status, ours.customer_visible) == (
            theirs.from_status,
            theirs.to_status,
            theirs.customer_visible,
        ), ours.type
        for key in ("allocations", "contents", "released", "missing"):
            if ours.data.get(key) and theirs.data.get(key):
                assert set(ours.data[key][0]) == set(theirs.data[key][0]), key
    assert Role.CLERK in twin.first_checked_by.groups.values_list("name", flat=True)


def test_refused_under_production_settings(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        generate(10)
    assert not Order.objects.exists()

"""Fulfilment pages: pick lists, packing slips, packing by scan, parcels, bulk moves."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockItem
from orders.core import services
from orders.exceptions import InvalidOrder, PackMismatch, TransitionNotAllowed
from orders.fulfilment import selectors as fulfilment_selectors
from orders.fulfilment import services as fulfilment
from orders.models import Order, OrderEvent, OrderStatus, Shipment
from orders.notifications.emails import Kind
from orders.permissions import Role
from tests.factories.inventory import ProductFactory, WarehouseFactory

S = OrderStatus


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def in_bin(product, location, warehouse=None):
    items = StockItem.objects.filter(product=product)
    if warehouse:
        items = items.filter(warehouse=warehouse)
    items.update(location=location)


# ------------------------------------------------------------------------------
# Pick lists and packing slips
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_pick_list_walks_the_bins_and_says_which_order_gets_what(
    client, staff, order_in
):
    shared, far, near = ProductFactory(), ProductFactory(), ProductFactory()
    first = order_in(S.PAID, lines=[(shared, 2), (far, 1)])
    second = order_in(S.PICKING, lines=[(shared, 3), (near, 1)])
    in_bin(shared, "B-02-1")
    in_bin(far, "C-05-2")
    in_bin(near, "A-01-1")
    not_yet = order_in(S.PLACED)
    client.force_login(staff[Role.WAREHOUSE])
    response = client.get(
        reverse("orders:pick_list"),
        {"orders": f"{first.number},{second.number} {not_yet.number} ORD-999999"},
    )
    (sheet,) = response.context["sheets"]
    assert [r["location"] for r in sheet["rows"]] == ["A-01-1", "B-02-1", "C-05-2"]
    shared_row = sheet["rows"][1]
    assert shared_row["quantity"] == 5
    assert shared_row["per_order"] == [(first.number, 2), (second.number, 3)]
    assert sheet["units"] == 7
    assert response.context["not_pickable"] == [not_yet]
    assert response.context["to_start"] == [first]
    assert any("There is no order ORD-999999" in m for m in messages_of(response))


@pytest.mark.django_db
def test_one_pick_list_per_warehouse(client, staff, order_in, stock):
    north = WarehouseFactory(code="north", name="North")
    product = ProductFactory()
    stock(product, 2)
    stock(product, 5, where=north)
    order = order_in(S.ALLOCATED, lines=[(product, 4)], stocked=False)
    client.force_login(staff[Role.WAREHOUSE])
    sheets = client.get(reverse("orders:pick_list"), {"orders": order.number}).context[
        "sheets"
    ]
    assert {s["warehouse"].code: s["units"] for s in sheets} == {"main": 2, "north": 2}
    only_north = client.get(
        reverse("orders:pick_list"), {"orders": order.number, "warehouse": "north"}
    ).context["sheets"]
    assert [s["warehouse"].code for s in only_north] == ["north"]


@pytest.mark.django_db
def test_the_pick_list_query_count_does_not_grow_with_the_batch(
    client, staff, order_in
):
    client.force_login(staff[Role.WAREHOUSE])

    def queries(orders):
        numbers = " ".join(o.number for o in orders)
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("orders:pick_list"), {"orders": numbers})
        return len(ctx)

    small = [order_in(S.PAID)]
    large = [order_in(S.PAID) for _ in range(6)]
    assert queries(large) == queries(small)


@pytest.mark.django_db
def test_a_packing_slip_lists_units_without_prices(client, staff, order_in):
    order = order_in(S.PICKING)
    line = order.lines.get()
    client.force_login(staff[Role.WAREHOUSE])
    html = client.get(
        reverse("orders:packing_slips"), {"orders": order.number}
    ).content.decode()
    assert line.sku in html and order.customer.name in html
    assert str(line.unit_price) not in html and str(order.total) not in html


@pytest.mark.django_db
def test_clerks_do_not_print_pick_lists(client, staff, order_in):
    order = order_in(S.PAID)
    client.force_login(staff[Role.CLERK])
    assert (
        client.get(reverse("orders:pick_list"), {"orders": order.number}).status_code
        == 403
    )


# ------------------------------------------------------------------------------
# Packing by scan
# ------------------------------------------------------------------------------
def test_scans_are_counted_per_sku():
    assert fulfilment.parse_scans("cf-1\nCF-1\n\n CF-2 x 3\nCF-3*2\nBOX-12X3") == {
        "CF-1": 2,
        "CF-2": 3,
        "CF-3": 2,
        "BOX-12X3": 1,
    }


@pytest.mark.django_db
def test_a_wrong_sku_is_refused_and_kept_on_the_timeline(client, staff, order_in):
    order = order_in(S.PICKING, lines=[(ProductFactory(sku="CF-1001"), 2)])
    client.force_login(staff[Role.WAREHOUSE])
    url = reverse("orders:pack", args=[order.number])
    response = client.post(url, {"status": order.status, "scanned": "CF-1001\nCF-9999"})
    errors = response.context["form"].non_field_errors()
    assert "CF-9999 is not on this order (scanned 1)." in errors
    assert "CF-1001: 1 of 2 scanned." in errors
    assert Order.objects.get(pk=order.pk).status == S.PICKING
    failed = order.events.get(type=OrderEvent.Type.PACK_CHECK_FAILED)
    assert failed.data["scanned"] == {"CF-1001": 1, "CF-9999": 1}
    assert sorted(failed.data["problems"], key=lambda p: p["sku"]) == [
        {"sku": "CF-1001", "scanned": 1, "expected": 2},
        {"sku": "CF-9999", "scanned": 1, "expected": 0},
    ]
    assert failed.actor == staff[Role.WAREHOUSE] and not failed.customer_visible

    response = client.post(
        url, {"status": order.status, "scanned": "CF-1001\ncf-1001\n"}, follow=True
    )
    order.refresh_from_db()
    assert order.status == S.PACKED
    assert order.events.latest("pk").data["scanned"] == {"CF-1001": 2}


@pytest.mark.django_db
def test_too_many_units_are_refused(order_in, crew):
    order = order_in(S.PICKING, lines=[(ProductFactory(sku="CF-7"), 1)])
    with pytest.raises(PackMismatch, match="CF-7: 2 scanned, the order needs 1"):
        fulfilment.order_pack(order=order, actor=crew.warehouse, scanned=["CF-7 x 2"])


@pytest.mark.django_db
def test_packing_needs_scans(order_in, crew):
    order = order_in(S.PICKING)
    with pytest.raises(InvalidOrder, match="Scan or type"):
        fulfilment.order_pack(order=order, actor=crew.warehouse, scanned="\n \n")


# ------------------------------------------------------------------------------
# Parcels and partial shipments
# ------------------------------------------------------------------------------
def ship_page(client, order, **data):
    return client.post(
        reverse("orders:ship", args=[order.number]),
        {"status": order.status, **data},
        follow=True,
    )


@pytest.mark.django_db
def test_a_partial_shipment_keeps_the_order_packed_until_the_last_parcel(
    client, staff, order_in, mailoutbox
):
    a, b = ProductFactory(sku="CF-A"), ProductFactory(sku="CF-B")
    order = order_in(S.PACKED, lines=[(a, 3), (b, 1)])
    line_a, line_b = order.lines.order_by("pk")
    client.force_login(staff[Role.WAREHOUSE])
    ship_page(
        client,
        order,
        carrier="DHL",
        tracking_number="P1",
        **{f"line_{line_a.pk}": 2, f"line_{line_b.pk}": 0},
    )
    order.refresh_from_db()
    assert order.status == S.PACKED
    assert fulfilment_selectors.units_to_ship(order) == {line_a.pk: 1, line_b.pk: 0 + 1}
    item = StockItem.objects.get(product=a)
    assert (item.on_hand, item.allocated) == (1, 1)  # 2 left the warehouse
    assert order.notifications.filter(kind=Kind.PARTLY_SHIPPED).exists()
    # cancelling is no longer possible: part is with the customer
    with pytest.raises(TransitionNotAllowed, match="already shipped"):
        services.order_cancel(order=order, actor=staff[Role.CLERK], reason="Oops")

    detail = client.get(reverse("orders:detail", args=[order.number]))
    assert "Partly shipped: 2 units still to ship." in detail.content.decode()
    assert 'data-badge="shipping"' in detail.content.decode()
    # staff read SKUs; the customer reads the product's name
    assert "2 × CF-A" in detail.content.decode()
    track = client.get(reverse("track:order", args=[order.tracking_token]))
    assert f"2 × {a.name}" in track.content.decode()
    assert "CF-A" not in track.content.decode()
    listed = client.get(reverse("orders:list"), {"q": order.number})
    assert "partly shipped" in listed.content.decode()
    # the second parcel form offers only what is left, and ships the rest
    form = client.get(reverse("orders:ship", args=[order.number])).context["form"]
    assert [f.initial for f in form.line_fields()] == [1, 1]
    ship_page(
        client,
        order,
        carrier="UPS",
        tracking_number="P2",
        **{f"line_{line_a.pk}": 1, f"line_{line_b.pk}": 1},
    )
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert order.shipments.count() == 2
    assert not StockItem.objects.filter(allocated__gt=0).exists()
    assert order.notifications.filter(kind=Kind.SHIPPED).exists()


@pytest.mark.django_db
def test_a_parcel_cannot_hold_more_than_is_left(client, staff, order_in):
    order = order_in(S.PACKED, lines=[(ProductFactory(), 2)])
    line = order.lines.get()
    client.force_login(staff[Role.WAREHOUSE])
    response = ship_page(
        client, order, carrier="DHL", tracking_number="X", **{f"line_{line.pk}": 3}
    )
    assert response.context["form"].errors
    response = ship_page(
        client, order, carrier="DHL", tracking_number="X", **{f"line_{line.pk}": 0}
    )
    assert (
        "Put at least one unit in the parcel."
        in response.context["form"].non_field_errors()
    )
    with pytest.raises(InvalidOrder):
        fulfilment.order_ship(
            order=order,
            actor=staff[Role.WAREHOUSE],
            carrier="DHL",
            tracking_number="X",
            lines={line.pk: 5},
        )
    assert not Shipment.objects.exists()


@pytest.mark.django_db
def test_only_configured_carriers_are_accepted(client, staff, order_in, settings):
    settings.ORDERS_CARRIER_TRACKING_URLS = {
        "Courier 24": "https://c24.example/{number}"
    }
    order = order_in(S.PACKED)
    client.force_login(staff[Role.WAREHOUSE])
    response = ship_page(client, order, carrier="DHL", tracking_number="1")
    assert "carrier" in response.context["form"].errors
    ship_page(
        client,
        order,
        carrier="Courier 24",
        tracking_number="1",
        **{f"line_{order.lines.get().pk}": order.lines.get().quantity},
    )
    assert Order.objects.get(pk=order.pk).status == S.SHIPPED
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "https://c24.example/1" in page


@pytest.mark.django_db
def test_a_parcel_leaves_from_the_chosen_warehouse(staff, order_in, stock):
    north = WarehouseFactory(code="north", name="North")
    product = ProductFactory()
    stock(product, 2)
    stock(product, 5, where=north)
    manager = staff[Role.MANAGER]
    order = order_in(S.PACKED, lines=[(product, 4)], stocked=False)
    # 2 in main, 2 in north; the north parcel takes north's units first
    fulfilment.order_ship(
        order=order,
        actor=manager,
        carrier="DHL",
        tracking_number="N1",
        lines={order.lines.get().pk: 2},
        warehouse_id=north.pk,
    )
    north_item = StockItem.objects.get(product=product, warehouse=north)
    assert (north_item.on_hand, north_item.allocated) == (3, 0)


# ------------------------------------------------------------------------------
# Bulk moves from the list
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_bulk_start_picking_moves_each_order_it_can(client, staff, order_in):
    paid = [order_in(S.PAID), order_in(S.PAID)]
    placed = order_in(S.PLACED)
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("orders:bulk"),
        {
            "action": "start_picking",
            "orders": [o.number for o in [*paid, placed]],
            "next": "/staff/orders/?status=paid",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/staff/orders/?status=paid"
    assert [Order.objects.get(pk=o.pk).status for o in paid] == [S.PICKING] * 2
    assert Order.objects.get(pk=placed.pk).status == S.PLACED
    shown = messages_of(response)
    assert any(paid[0].number in m and paid[1].number in m for m in shown)
    assert any(placed.number in m and "not possible" in m for m in shown)


@pytest.mark.django_db
def test_bulk_moves_never_redirect_off_site(client, staff, order_in):
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("orders:bulk"),
        {"action": "start_picking", "orders": [], "next": "https://evil.example/"},
    )
    assert response.url == reverse("orders:list")


@pytest.mark.django_db
def test_bulk_print_and_export_use_the_ticked_orders(client, staff, order_in):
    orders = [order_in(S.PAID), order_in(S.PICKING)]
    client.force_login(staff[Role.WAREHOUSE])
    ticked = {"orders": [o.number for o in orders]}
    response = client.post(reverse("orders:bulk"), {"action": "pick_list", **ticked})
    assert response.url == reverse("orders:pick_list") + "?orders=" + "+".join(
        ticked["orders"]
    )
    sheets = client.get(response.url).context["sheets"]
    assert sheets[0]["orders"] == sorted(ticked["orders"])
    response = client.post(reverse("orders:bulk"), {"action": "export", **ticked})
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 3 and rows[1].startswith(orders[0].number)
    page = client.get(reverse("orders:list")).content.decode()
    assert 'value="pick_list"' in page and 'form="bulk"' in page
    client.force_login(staff[Role.CLERK])
    assert (
        'value="pick_list"' not in client.get(reverse("orders:list")).content.decode()
    )

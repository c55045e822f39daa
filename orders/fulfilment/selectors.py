"""Read-only queries for the warehouse: pick lists, packing slips, where parcels leave from."""

from django.db.models import Prefetch

from inventory.models import Warehouse
from orders.core.models import Order, OrderLine, OrderLineAllocation, OrderStatus
from orders.fulfilment.models import ShipmentLine

PICKABLE = (OrderStatus.ALLOCATED, OrderStatus.PAID, OrderStatus.PICKING)


def pick_lists(*, orders: list[Order], warehouse_code: str = "") -> list[dict]:
    """One pick list per warehouse: a row per bin, walking the locations in order.

    Each row is one stock item (product at a location) with the total to pick
    and how many go to each order, so one walk picks a whole batch.
    """
    allocations = (
        OrderLineAllocation.objects.filter(
            line__order__in=[o.pk for o in orders if o.status in PICKABLE]
        )
        .select_related("line__order", "stock_item__warehouse")
        .order_by("stock_item__warehouse__code", "pk")
    )
    if warehouse_code:
        allocations = allocations.filter(stock_item__warehouse__code=warehouse_code)
    lists: dict[int, dict] = {}
    for a in allocations:
        item = a.stock_item
        sheet = lists.setdefault(
            item.warehouse_id,
            {"warehouse": item.warehouse, "rows": {}, "orders": set(), "units": 0},
        )
        row = sheet["rows"].setdefault(
            item.pk,
            {
                "location": item.location,
                "sku": a.line.sku,
                "name": a.line.name,
                "quantity": 0,
                "per_order": {},
            },
        )
        number = a.line.order.number
        row["quantity"] += a.quantity
        row["per_order"][number] = row["per_order"].get(number, 0) + a.quantity
        sheet["orders"].add(number)
        sheet["units"] += a.quantity
    result = []
    for sheet in lists.values():
        rows = sorted(
            sheet["rows"].values(),
            # Rows without a bin go last, so the walk is never interrupted.
            key=lambda r: (not r["location"], r["location"], r["sku"]),
        )
        for row in rows:
            row["per_order"] = sorted(row["per_order"].items())
        result.append(
            {
                "warehouse": sheet["warehouse"],
                "rows": rows,
                "orders": sorted(sheet["orders"]),
                "units": sheet["units"],
            }
        )
    return result


def allocation_warehouses(*, order: Order) -> list:
    """The warehouses holding stock allocated to ``order`` (where its parcels leave from)."""
    return list(
        Warehouse.objects.filter(
            stock_items__order_allocations__line__order=order
        ).distinct()
    )


def packing_slips(*, orders: list[Order]) -> list[dict]:
    """What goes in each parcel: the lines still to ship, without prices."""
    slips = []
    for order in (
        Order.objects.filter(pk__in=[o.pk for o in orders])
        .select_related("customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by("pk").prefetch_related(
                    "shipment_lines"
                ),
            )
        )
    ):
        lines = []
        for line in order.lines.all():
            shipped = sum(s.quantity for s in line.shipment_lines.all())
            lines.append(
                {
                    "sku": line.sku,
                    "name": line.name,
                    "ordered": line.quantity,
                    "shipped": shipped,
                    "to_ship": line.quantity - shipped,
                }
            )
        slips.append({"order": order, "lines": lines})
    position = {o.pk: n for n, o in enumerate(orders)}
    return sorted(slips, key=lambda s: position[s["order"].pk])


def units_to_ship(order: Order) -> dict[int, int]:
    """Per order-line id, the units not yet in a shipment."""
    shipped: dict[int, int] = {}
    for line_id, quantity in ShipmentLine.objects.filter(
        order_line__order=order
    ).values_list("order_line_id", "quantity"):
        shipped[line_id] = shipped.get(line_id, 0) + quantity
    return {
        line.pk: line.quantity - shipped.get(line.pk, 0) for line in order.lines.all()
    }

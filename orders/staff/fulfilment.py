"""Warehouse pages: backorders and splits, pick lists, packing slips, packing and shipping."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders import moves
from orders.core.models import Order, OrderStatus
from orders.core.selectors import order_detail as order_detail_selector
from orders.exceptions import OrderError
from orders.fulfilment.selectors import (
    PICKABLE,
    allocation_warehouses,
    packing_slips,
    pick_lists,
    units_to_ship,
)
from orders.staff.common import (
    error_list,
    last_fact_id,
    said_since,
    selected_orders,
    stale_page,
)
from orders.staff.forms import PackForm, ParcelForm
from orders.stock import services as stock
from orders.stock.selectors import backordered_orders
from ordersite.limits import row_ids
from ordersite.staff import staff_required


@staff_required("orders.view_order")
def backorders(request):
    """Backordered orders: what each is missing and since when, with the split action."""
    return render(
        request,
        "staff/orders/backorders.html",
        {
            "orders": backordered_orders(),
            "can_split": request.user.has_perm("orders.allocate_order"),
        },
    )


@require_POST
@staff_required("orders.allocate_order")
def backorder_split(request, number):
    """Ship what is in stock now; the chosen lines' missing units follow as a new order."""
    order = get_object_or_404(Order, number=number)
    if stale := stale_page(request, order):
        messages.error(request, stale)
        return redirect("orders:backorders")
    line_ids = row_ids(request.POST.getlist("lines"))
    try:
        child = stock.order_split_backorder(
            order=order, actor=request.user, line_ids=line_ids
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(number)s ships what is in stock; the rest follows as %(child)s.")
            % {"number": number, "child": child.number},
        )
    return redirect("orders:backorders")


def _move_page(request, order, name, form, template, **context):
    """A move that needs its own page (packing, shipping): the form, then the service."""
    if request.method == "POST" and form.is_valid():
        if stale := stale_page(request, order):
            form.add_error(None, stale)
        else:
            inputs = getattr(form, "service_inputs", lambda: form.cleaned_data)()
            before = last_fact_id(order)
            try:
                moves.order_transition(
                    order=order, name=name, actor=request.user, **inputs
                )
            except OrderError as exc:
                form.add_error(None, error_list(exc))
            else:
                messages.success(request, said_since(order, before))
                return redirect("orders:detail", number=order.number)
    return render(request, template, {"order": order, "form": form, **context})


def _to_ship(order):
    remaining = units_to_ship(order)
    return [
        (line, remaining[line.pk]) for line in order.lines.all() if remaining[line.pk]
    ]


@staff_required("orders.fulfil_order")
def order_pack(request, number):
    """Scan every unit into the parcel; the order is packed only when they match it."""
    order = order_detail_selector(number=number)
    return _move_page(
        request,
        order,
        "pack",
        PackForm(request.POST or None),
        "staff/orders/pack.html",
        lines=_to_ship(order),
    )


@staff_required("orders.ship_order")
def order_ship(request, number):
    """A parcel leaves: carrier, tracking number, which units (partial shipments allowed)."""
    order = order_detail_selector(number=number)
    return _move_page(
        request,
        order,
        "ship",
        ParcelForm(
            request.POST or None,
            lines=_to_ship(order),
            warehouses=allocation_warehouses(order=order),
        ),
        "staff/orders/ship.html",
        carriers=settings.ORDERS_CARRIER_TRACKING_URLS,
    )


@staff_required("orders.view_order", "orders.fulfil_order")
def pick_list(request):
    """Printable pick lists for one or many orders: per warehouse, walking the bins."""
    orders = selected_orders(request)
    warehouse = request.GET.get("warehouse", "")
    sheets = pick_lists(orders=orders, warehouse_code=warehouse)
    return render(
        request,
        "staff/orders/pick_list.html",
        {
            "orders": orders,
            "sheets": sheets,
            "not_pickable": [o for o in orders if o.status not in PICKABLE],
            "to_start": [o for o in orders if o.status == OrderStatus.PAID],
            "warehouse": warehouse,
        },
    )


@staff_required("orders.view_order", "orders.fulfil_order")
def packing_slip(request):
    """Printable packing slips, one page per order: what goes in the parcel, no prices."""
    return render(
        request,
        "staff/orders/packing_slips.html",
        {
            "slips": packing_slips(orders=selected_orders(request)),
            "company": settings.ORDERS_COMPANY,
        },
    )

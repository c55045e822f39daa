"""Fulfilment's facts: picking, packing, parcels, shipped, delivered, completed; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext

from orders.core.models import Order
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import moved, record
from orders.events.words import (
    Wording,
    data_of,
    fixed,
    products,
    say_all,
    units,
)


def picking_started(*, order: Order, actor, from_status: str) -> OrderEvent:
    return moved(
        order=order, type=T.PICKING_STARTED, actor=actor, from_status=from_status
    )


def pack_check_failed(
    *, order: Order, actor, scanned: dict[str, int], problems: list[dict]
) -> OrderEvent:
    """A parcel that did not match was refused; ``problems``: ``{"sku", "scanned", "expected"}``."""
    return record(
        order=order,
        type=T.PACK_CHECK_FAILED,
        actor=actor,
        data={"scanned": scanned, "problems": problems},
    )


def order_packed(
    *, order: Order, actor, from_status: str, scanned: dict[str, int]
) -> OrderEvent:
    return moved(
        order=order,
        type=T.PACKED,
        actor=actor,
        from_status=from_status,
        scanned=scanned,
    )


def parcel_shipped(*, order: Order, actor, shipment, complete: bool) -> OrderEvent:
    """A parcel left; ``complete`` when nothing is left to ship after it."""
    contents = [
        {"line_id": sl.order_line_id, "sku": sl.order_line.sku, "quantity": sl.quantity}
        for sl in shipment.lines.select_related("order_line").order_by("pk")
    ]
    return record(
        order=order,
        type=T.PARCEL_SHIPPED,
        actor=actor,
        data={
            "shipment_id": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "contents": contents,
            "complete": complete,
        },
    )


def order_shipped(*, order: Order, actor, from_status: str, shipment) -> OrderEvent:
    return moved(
        order=order,
        type=T.SHIPPED,
        actor=actor,
        from_status=from_status,
        shipment_id=shipment.pk,
    )


def order_delivered(*, order: Order, actor, from_status: str) -> OrderEvent:
    return moved(order=order, type=T.DELIVERED, actor=actor, from_status=from_status)


def order_completed(
    *,
    order: Order,
    actor,
    from_status: str,
    rating: int | None = None,
    after_days: int | None = None,
) -> OrderEvent:
    """Completed: by the customer's confirmation (``rating``), automatically (``after_days``) or by staff."""
    how = "customer" if rating is not None else "auto" if after_days else "staff"
    return moved(
        order=order,
        type=T.COMPLETED,
        actor=actor,
        from_status=from_status,
        how=how,
        rating=rating,
        after_days=after_days,
    )


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _pack_check(e, r):
    problems = []
    for p in data_of(e).get("problems") or []:
        if not p.get("expected"):
            problems.append(_("%(sku)s is not on this order (scanned %(scanned)s)") % p)
        else:
            problems.append(_("%(sku)s: %(scanned)s scanned, %(expected)s to pack") % p)
    return _("Pack check failed: %(problems)s.") % {"problems": "; ".join(problems)}


def _packed_staff(e, r):
    units = sum((data_of(e).get("scanned") or {}).values())
    return ngettext(
        "Packed (%(n)d unit scanned).", "Packed (%(n)d units scanned).", units
    ) % {"n": units}


def _parcel(e, r, *, customer: bool = False):
    contents = data_of(e).get("contents")
    return _("Parcel with %(carrier)s, tracking number %(tracking)s: %(units)s.") % {
        "carrier": data_of(e).get("carrier"),
        "tracking": data_of(e).get("tracking_number"),
        "units": products(contents, r) if customer else units(contents),
    }


def _parcel_customer(e, r):
    return _parcel(e, r, customer=True)


def _completed_staff(e, r):
    d = data_of(e)
    if d.get("how") == "customer":
        return _("The customer confirmed receipt (%(rating)s/5).") % d
    if d.get("how") == "auto":
        return _("Completed automatically %(after_days)s days after delivery.") % d
    return _("Completed.")


def _completed_customer(e, r):
    if data_of(e).get("how") == "customer":
        return _("You confirmed receipt. Thank you!")
    return _("Order complete. Thank you!")


say_all(
    {
        T.PICKING_STARTED: Wording(
            fixed(_l("Picking started.")), fixed(_l("We are preparing your order."))
        ),
        T.PACK_CHECK_FAILED: Wording(_pack_check),
        T.PACKED: Wording(_packed_staff, fixed(_l("Your order is packed."))),
        T.PARCEL_SHIPPED: Wording(_parcel, _parcel_customer),
        T.SHIPPED: Wording(
            fixed(_l("Shipped: everything has left.")),
            fixed(_l("Your order has shipped.")),
        ),
        T.DELIVERED: Wording(fixed(_l("Delivered.")), fixed(_l("Delivered."))),
        T.COMPLETED: Wording(_completed_staff, _completed_customer),
    }
)

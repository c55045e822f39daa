"""The inventory check's facts: allocated, backordered, split; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.core.models import Order, OrderStatus
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


def order_allocated(
    *, order: Order, actor, from_status: str, allocations: list[dict]
) -> OrderEvent:
    """Every line has stock; ``allocations``: ``{"line_id", "sku", "stock_item_id", "warehouse", "quantity"}``."""
    return moved(
        order=order,
        type=T.ALLOCATED,
        actor=actor,
        from_status=from_status,
        allocations=allocations,
    )


def order_backordered(
    *, order: Order, actor, from_status: str, missing: list[dict]
) -> OrderEvent:
    """Some lines are short; ``missing``: ``{"line_id", "sku", "missing"}``."""
    return moved(
        order=order,
        type=T.BACKORDERED,
        actor=actor,
        from_status=from_status,
        missing=missing,
    )


def split_off(*, order: Order, actor, child: Order, moved: list[dict]) -> OrderEvent:
    """Missing units moved to ``child``; ``moved``: ``{"line_id", "sku", "quantity"}``."""
    return record(
        order=order,
        type=T.SPLIT_OFF,
        actor=actor,
        data={"child_id": child.pk, "child": child.number, "moved": moved},
    )


def split_from(*, order: Order, actor, parent: Order) -> OrderEvent:
    return record(
        order=order,
        type=T.SPLIT_FROM,
        actor=actor,
        data={"parent_id": parent.pk, "parent": parent.number},
        to_status=order.status,
    )


def gift_added(*, order: Order, actor, line) -> OrderEvent:
    """A free unit joined the order (compensation); its reason is on the line."""
    return record(
        order=order,
        type=T.GIFT_ADDED,
        actor=actor,
        data={"line_id": line.pk, "sku": line.sku},
    )


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _allocated_staff(e, r):
    units = ", ".join(
        f"{a.get('quantity')} × {a.get('sku')} @ {a.get('warehouse')}"
        for a in data_of(e).get("allocations") or []
    )
    return _("Stock allocated: %(units)s.") % {"units": units}


def _allocated_customer(e, r):
    if e.from_status == OrderStatus.BACKORDERED:
        return _("The missing items arrived; your order is moving again.")
    return _("Your items are reserved for you.")


def _backordered_staff(e, r):
    return _("Waiting for stock: %(units)s.") % {
        "units": units(data_of(e).get("missing"), "missing")
    }


def _split_off(e, r, *, customer: bool = False):
    moved = data_of(e).get("moved")
    return _("Ships what is in stock now; %(units)s follow as order %(child)s.") % {
        "units": products(moved, r) if customer else units(moved),
        "child": data_of(e).get("child"),
    }


def _split_off_customer(e, r):
    return _split_off(e, r, customer=True)


def _split_from(e, r):
    return _(
        "The backordered part of order %(parent)s, to ship when stock arrives."
    ) % {"parent": data_of(e).get("parent")}


def _gift_staff(e, r):
    return _("Free gift added: 1 × %(sku)s.") % {"sku": data_of(e).get("sku")}


def _gift_customer(e, r):
    line = r.get("line", data_of(e).get("line_id"))
    return _("We added a free gift to your order: %(name)s.") % {
        "name": line.name if line else _("a gift")
    }


say_all(
    {
        T.GIFT_ADDED: Wording(_gift_staff, _gift_customer),
        T.ALLOCATED: Wording(_allocated_staff, _allocated_customer),
        T.BACKORDERED: Wording(
            _backordered_staff,
            fixed(
                _l(
                    "Some items are not in stock yet; we send your order as soon as they arrive."
                )
            ),
        ),
        T.SPLIT_OFF: Wording(_split_off, _split_off_customer),
        T.SPLIT_FROM: Wording(_split_from, _split_from),
    }
)

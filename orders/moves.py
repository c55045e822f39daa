"""Every order transition by name, with the service that runs it and the inputs it needs.

The staff pages, the admin's bulk actions and the demo data run moves by name
through ``order_transition``; each name leads to exactly one service.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from orders.core.models import Order
from orders.core.services import order_cancel, order_hold, order_release_hold
from orders.exceptions import InvalidOrder, TransitionNotAllowed
from orders.fulfilment.services import (
    order_complete,
    order_mark_delivered,
    order_pack,
    order_ship,
    order_start_picking,
)
from orders.money.payments import order_mark_paid
from orders.stock.services import order_check_inventory
from orders.verification.services import (
    order_record_first_check,
    order_send_back,
    order_verify,
)


@dataclass(frozen=True)
class TransitionService:
    """How to run a transition by name: the service and the inputs it needs."""

    func: Callable[..., Order]
    inputs: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


TRANSITION_SERVICES: dict[str, TransitionService] = {
    "record_first_check": TransitionService(order_record_first_check, ("checked",)),
    "verify": TransitionService(order_verify),
    "send_back": TransitionService(order_send_back, ("reason",), ("note",)),
    "allocate": TransitionService(order_check_inventory),
    "backorder": TransitionService(order_check_inventory),
    "mark_paid": TransitionService(order_mark_paid),
    "start_picking": TransitionService(order_start_picking),
    "pack": TransitionService(order_pack, ("scanned",)),
    "ship": TransitionService(
        order_ship, ("carrier", "tracking_number"), ("lines", "warehouse_id")
    ),
    "mark_delivered": TransitionService(order_mark_delivered),
    "complete": TransitionService(order_complete),
    "hold": TransitionService(order_hold, ("reason",)),
    "release_hold": TransitionService(order_release_hold),
    "cancel": TransitionService(order_cancel, ("reason",)),
}


def order_transition(*, order: Order, name: str, actor, **inputs) -> Order:
    """Run the service behind transition ``name`` with the inputs it needs."""
    try:
        service = TRANSITION_SERVICES[name]
    except KeyError:
        raise TransitionNotAllowed(
            _("There is no transition called %(name)r.") % {"name": name}
        ) from None
    missing = [
        field for field in service.inputs if not str(inputs.get(field, "")).strip()
    ]
    if missing:
        raise InvalidOrder(
            _("Please give: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    given = {k: inputs[k] for k in service.inputs}
    given.update({k: inputs[k] for k in service.optional if k in inputs})
    return service.func(order=order, actor=actor, **given)

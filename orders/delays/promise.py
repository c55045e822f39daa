"""The dates an order is promised: ship-by and estimated delivery, in business days.

``promise_for`` works them out from the lead time of the warehouse and carrier
service (``LeadTime``), counting business days from the day the order was
placed, or from the day the missing stock is expected for a backorder.
``promise_at_placement`` and ``promise_after_backorder`` are called by the
placing and inventory-check services inside their transactions.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from inventory import selectors as stock
from orders.core.models import Order
from orders.delays import facts
from orders.delays.calendar import Calendar
from orders.delays.models import LeadTime

# The shop's lead time when no row in the admin says otherwise.
DEFAULT_SHIP_DAYS = 1
DEFAULT_TRANSIT_DAYS = 3


@dataclass(frozen=True)
class Promise:
    ship_by: date
    estimated_delivery: date


def lead_time(*, warehouse_id: int | None = None, carrier: str = "") -> tuple[int, int]:
    """(business days to ship, in transit): the most specific ``LeadTime`` row for
    the warehouse (none given: the default warehouse) and the carrier service; one query."""
    where = (
        Q(warehouse_id=warehouse_id)
        if warehouse_id is not None
        else Q(warehouse__is_default=True, warehouse__active=True)
    )
    rows = LeadTime.objects.filter(
        where | Q(warehouse__isnull=True), Q(carrier=carrier) | Q(carrier="")
    ).values_list("warehouse_id", "carrier", "ship_days", "transit_days")
    best = max(
        rows,
        key=lambda r: (r[0] is not None, r[1] != ""),
        default=(None, "", DEFAULT_SHIP_DAYS, DEFAULT_TRANSIT_DAYS),
    )
    return best[2], best[3]


def promise_for(
    *,
    placed_at: datetime,
    warehouse_id: int | None = None,
    carrier: str = "",
    ready_on: date | None = None,
    calendar: Calendar | None = None,
) -> Promise:
    """The ship-by and delivery dates for an order placed at ``placed_at``; with
    ``ready_on`` (when missing stock is expected) counted from that day instead."""
    calendar = calendar or Calendar.load()
    ship_days, transit_days = lead_time(warehouse_id=warehouse_id, carrier=carrier)
    start = calendar.local_date(placed_at)
    if ready_on and ready_on > start:
        start = ready_on
    ship_by = calendar.add_business_days(start, ship_days)
    return Promise(
        ship_by=ship_by,
        estimated_delivery=calendar.add_business_days(ship_by, transit_days),
    )


def promise_at_placement(order: Order) -> None:
    """Give a new (unsaved) order its promised dates unless the caller set them."""
    if order.ship_by is not None or order.estimated_delivery is not None:
        return
    promise = promise_for(placed_at=order.placed_at)
    order.ship_by = promise.ship_by
    order.estimated_delivery = promise.estimated_delivery


def promise_after_backorder(*, order: Order, actor, product_ids: list[int]) -> None:
    """On a locked order just backordered: when every missing product is expected
    on a known date, move the promise to the latest of them if it is later."""
    arrivals = stock.expected_arrivals(product_ids=product_ids)
    if not product_ids or set(arrivals) != set(product_ids):
        return  # some stock has no date: the promise stays, the scan will see it slip
    calendar = Calendar.load()
    today = calendar.local_date(timezone.now())
    promise = promise_for(
        placed_at=order.placed_at,
        ready_on=max(max(arrivals.values()), today),
        calendar=calendar,
    )
    if order.ship_by and promise.ship_by <= order.ship_by:
        return
    set_promise(
        order=order,
        actor=actor,
        ship_by=promise.ship_by,
        estimated_delivery=promise.estimated_delivery,
        because="backorder",
        reason="",
    )


def set_promise(*, order, actor, ship_by, estimated_delivery, because, reason):
    """Write new promised dates on a locked order and record the change (a delay's
    explanation records its own fact instead)."""
    before = (order.ship_by, order.estimated_delivery)
    Order.objects.filter(pk=order.pk).update(
        ship_by=ship_by,
        estimated_delivery=estimated_delivery,
        updated_at=timezone.now(),
    )
    order.ship_by, order.estimated_delivery = ship_by, estimated_delivery
    if because != "delay":  # a delay's explanation is its own fact
        facts.promise_changed(
            order=order, actor=actor, before=before, reason=reason, because=because
        )


def ship_by_for_delivery(
    delivery: date, *, today: date, calendar: Calendar | None = None
) -> date:
    """The ship-by date that meets a delivery date (never before ``today``)."""
    calendar = calendar or Calendar.load()
    _ship, transit_days = lead_time()
    return max(calendar.subtract_business_days(delivery, transit_days), today)

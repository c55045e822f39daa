"""Promises and delays: recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from datetime import date, datetime

from django.utils import formats
from django.utils.translation import gettext as _

from orders.core.models import Order
from orders.delays.models import Delay, DelaySlip
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import money, record
from orders.events.words import Wording, amount, data_of, label, say_all


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def promise_changed(
    *, order: Order, actor, before: tuple, reason: str, because: str = "staff"
) -> OrderEvent:
    """The order's promised dates changed; ``before`` the (ship-by, delivery) they
    replace; ``because`` "staff" (with ``reason``), "backorder" or "delay"."""
    return record(
        order=order,
        type=T.PROMISE_CHANGED,
        actor=actor,
        data={
            "ship_by": _day(order.ship_by),
            "estimated_delivery": _day(order.estimated_delivery),
            "was_ship_by": _day(before[0]),
            "was_estimated_delivery": _day(before[1]),
            "because": because,
            "reason": reason,
        },
    )


def _slip(delay: Delay, slip: DelaySlip) -> dict:
    return {
        "delay_id": delay.pk,
        "slipped": slip.kind,
        "status": slip.status,
        "deadline": slip.deadline.isoformat(),
    }


def delay_opened(*, order: Order, delay: Delay, slip: DelaySlip) -> OrderEvent:
    return record(order=order, type=T.DELAY_OPENED, data=_slip(delay, slip))


def delay_escalated(*, order: Order, delay: Delay, slip: DelaySlip) -> OrderEvent:
    return record(
        order=order,
        type=T.DELAY_ESCALATED,
        data={**_slip(delay, slip), "slips": delay.slips},
    )


def delay_explained(*, order: Order, actor, delay: Delay) -> OrderEvent:
    return record(
        order=order,
        type=T.DELAY_EXPLAINED,
        actor=actor,
        data={
            "delay_id": delay.pk,
            "cause": delay.cause.code,
            "new_date": _day(delay.new_date),
        },
    )


def delay_answered(*, order: Order, actor, delay: Delay, **outcome) -> OrderEvent:
    """The customer's choice; ``outcome`` names what it did (``split_order``)."""
    return record(
        order=order,
        type=T.DELAY_ANSWERED,
        actor=actor,
        data={"delay_id": delay.pk, "choice": delay.choice, **outcome},
    )


def delay_update_due(*, order: Order, delay: Delay) -> OrderEvent:
    return record(
        order=order,
        type=T.DELAY_UPDATE_DUE,
        data={"delay_id": delay.pk, "due": delay.next_update_at.isoformat()},
    )


def delay_update_sent(*, order: Order, delay: Delay) -> OrderEvent:
    return record(
        order=order,
        type=T.DELAY_UPDATE_SENT,
        data={"delay_id": delay.pk, "new_date": _day(delay.new_date)},
    )


def delay_closed(*, order: Order, actor, delay: Delay) -> OrderEvent:
    return record(
        order=order,
        type=T.DELAY_CLOSED,
        actor=actor,
        data={"delay_id": delay.pk, "cause": delay.cause.code if delay.cause else ""},
    )


def _offer_data(offer) -> dict:
    data = {
        "delay_id": offer.delay_id,
        "offer_id": offer.pk,
        "kind": offer.kind,
        "value": money(offer.value),
    }
    if offer.product_id:
        data["sku"] = offer.product.sku
    return data


def compensation_proposed(*, order: Order, actor, offer) -> OrderEvent:
    return record(
        order=order, type=T.COMPENSATION_PROPOSED, actor=actor, data=_offer_data(offer)
    )


def compensation_offered(*, order: Order, actor, offer) -> OrderEvent:
    return record(
        order=order, type=T.COMPENSATION_OFFERED, actor=actor, data=_offer_data(offer)
    )


def compensation_accepted(*, order: Order, actor, offer) -> OrderEvent:
    data = _offer_data(offer)
    data["cost"] = money(offer.cost)
    if offer.discount_code_id:
        data["discount_code_id"] = offer.discount_code_id
    return record(order=order, type=T.COMPENSATION_ACCEPTED, actor=actor, data=data)


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _date(value: str) -> str:
    return formats.date_format(date.fromisoformat(value)) if value else "—"


def _slipped(e) -> str:
    data = data_of(e)
    if data.get("slipped") == DelaySlip.Kind.STEP:
        from orders.core.models import OrderStatus

        return _("the target time for “%(state)s”") % {
            "state": label(OrderStatus, data.get("status")).lower()
        }
    return label(DelaySlip.Kind, data.get("slipped")).lower()


def _promise_staff(e, r):
    data = data_of(e)
    words = _("Promise now: ship by %(ship)s, delivery %(delivery)s (was %(was)s).") % {
        "ship": _date(data.get("ship_by")),
        "delivery": _date(data.get("estimated_delivery")),
        "was": _date(data.get("was_estimated_delivery")),
    }
    because = data.get("because")
    if because == "backorder":
        return words + " " + _("Moved to when the missing stock is expected.")
    if data.get("reason"):
        return f"{words} {data['reason']}"
    return words


def _promise_customer(e, r):
    return _("We now expect to deliver your order on %(date)s.") % {
        "date": _date(data_of(e).get("estimated_delivery"))
    }


def _opened(e, r):
    return _("Late: %(what)s was missed.") % {"what": _slipped(e)}


def _escalated(e, r):
    return _(
        "Late again (%(what)s missed after the customer was given a new date): escalated."
    ) % {"what": _slipped(e)}


def _escalated_customer(e, r):
    return _(
        "Your order is taking longer than we told you. We are sorry; we will "
        "write to you with a new date."
    )


def _cause_words(e, r, *, customer: bool) -> str:
    delay = r.get("delay", data_of(e).get("delay_id"))
    if delay is not None and delay.cause_id:
        return delay.cause.customer_text if customer else delay.cause.name
    return data_of(e).get("cause", "")


def _explained_staff(e, r):
    return _("Customer told of the delay (%(cause)s); new delivery date %(date)s.") % {
        "cause": _cause_words(e, r, customer=False),
        "date": _date(data_of(e).get("new_date")),
    }


def _explained_customer(e, r):
    return _(
        "Your order is delayed: %(cause)s. We now expect to deliver it on %(date)s."
    ) % {
        "cause": _cause_words(e, r, customer=True),
        "date": _date(data_of(e).get("new_date")),
    }


def _answered_staff(e, r):
    return _("The customer chose: %(choice)s.") % {
        "choice": label(Delay.Choice, data_of(e).get("choice")).lower()
    }


def _answered_customer(e, r):
    return _("You chose: %(choice)s.") % {
        "choice": label(Delay.Choice, data_of(e).get("choice")).lower()
    }


def _update_due(e, r):
    return _("The customer is due an update by %(when)s: staff reminded.") % {
        "when": formats.date_format(
            datetime.fromisoformat(data_of(e)["due"]), "SHORT_DATETIME_FORMAT"
        )
    }


def _update_staff(e, r):
    return _(
        "Nobody had written for a while: the customer was told %(date)s still holds."
    ) % {"date": _date(data_of(e).get("new_date"))}


def _update_customer(e, r):
    return _("We checked on your order: we still expect to deliver it on %(date)s.") % {
        "date": _date(data_of(e).get("new_date"))
    }


def _offer(e) -> str:
    from orders.delays.models import CompensationKind

    data = data_of(e)
    what = label(CompensationKind, data.get("kind")).lower()
    if data.get("kind") == CompensationKind.GIFT:
        return f"{what} ({data.get('sku', '')})"
    return f"{what}, {amount(e, 'value')}"


def _proposed(e, r):
    return _("Compensation proposed, waiting for a manager's approval: %(offer)s.") % {
        "offer": _offer(e)
    }


def _offered_staff(e, r):
    return _("Compensation offered to the customer: %(offer)s.") % {"offer": _offer(e)}


def _offered_customer(e, r):
    return _("We are sorry for the delay and offered you: %(offer)s.") % {
        "offer": _offer(e)
    }


def _accepted_staff(e, r):
    return _("The customer accepted: %(offer)s.") % {"offer": _offer(e)}


def _accepted_customer(e, r):
    return _("You accepted: %(offer)s.") % {"offer": _offer(e)}


def _closed(e, r):
    return _("Delay case closed with its root cause.")


say_all(
    {
        T.PROMISE_CHANGED: Wording(_promise_staff, _promise_customer),
        T.DELAY_OPENED: Wording(_opened),
        T.DELAY_ESCALATED: Wording(_escalated, _escalated_customer),
        T.DELAY_EXPLAINED: Wording(_explained_staff, _explained_customer),
        T.DELAY_ANSWERED: Wording(_answered_staff, _answered_customer),
        T.DELAY_UPDATE_DUE: Wording(_update_due),
        T.DELAY_UPDATE_SENT: Wording(_update_staff, _update_customer),
        T.DELAY_CLOSED: Wording(_closed),
        T.COMPENSATION_PROPOSED: Wording(_proposed),
        T.COMPENSATION_OFFERED: Wording(_offered_staff, _offered_customer),
        T.COMPENSATION_ACCEPTED: Wording(_accepted_staff, _accepted_customer),
    }
)

"""The order's own facts: placed, noted, held, released, cancelled; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.core.models import Channel, Order
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import money, moved, record
from orders.events.words import (
    Wording,
    amount,
    data_of,
    fixed,
    label,
    say_all,
    text_of,
    units,
)


def order_placed(*, order: Order, actor) -> OrderEvent:
    return record(
        order=order,
        type=T.PLACED,
        actor=actor,
        data={
            "channel": order.channel,
            "total": money(order.total),
            "currency": order.currency,
            "lines": len(order.line_list()),
        },
        to_status=order.status,
    )


def note_added(*, order: Order, actor, note) -> OrderEvent:
    return record(
        order=order, type=T.NOTE_ADDED, actor=actor, data={"note_id": note.pk}
    )


def order_held(*, order: Order, actor, from_status: str, reason: str) -> OrderEvent:
    return moved(
        order=order, type=T.HELD, actor=actor, from_status=from_status, reason=reason
    )


def hold_released(*, order: Order, actor, from_status: str) -> OrderEvent:
    return moved(
        order=order, type=T.HOLD_RELEASED, actor=actor, from_status=from_status
    )


def order_assigned(*, order: Order, actor, assignee, previous_id) -> OrderEvent:
    """The order's owner changed (``assignee`` None: nobody owns it now)."""
    return record(
        order=order,
        type=T.ASSIGNED,
        actor=actor,
        data={
            "assignee_id": assignee.pk if assignee else None,
            "previous_id": previous_id,
        },
    )


def order_cancelled(
    *, order: Order, actor, from_status: str, reason: str, released: list[dict]
) -> OrderEvent:
    """Cancelled; ``released`` lists the allocations given back to stock."""
    return moved(
        order=order,
        type=T.CANCELLED,
        actor=actor,
        from_status=from_status,
        reason=reason,
        released=released,
    )


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _placed(e, r):
    return _("Order placed via %(channel)s: %(total)s.") % {
        "channel": label(Channel, data_of(e).get("channel")),
        "total": amount(e, "total"),
    }


def _note(e, r):
    body = text_of(r.get("note", data_of(e).get("note_id")), "body")
    return (
        _("Internal note: %(body)s") % {"body": body}
        if body
        else _("Internal note added.")
    )


def _held(e, r):
    return _("Put on hold: %(reason)s") % {"reason": data_of(e).get("reason", "")}


def _cancelled_staff(e, r):
    text = _("Cancelled: %(reason)s.") % {"reason": data_of(e).get("reason", "")}
    if data_of(e).get("released"):
        text += " " + _("Allocated stock released: %(units)s.") % {
            "units": units(data_of(e)["released"])
        }
    return text


def _assigned(e, r):
    who = r.staff(data_of(e).get("assignee_id"))
    if data_of(e).get("assignee_id") is None:
        return _("Nobody owns the order now.")
    return _("Assigned to %(who)s.") % {"who": who or _("a former staff member")}


say_all(
    {
        T.PLACED: Wording(_placed, fixed(_l("We received your order."))),
        T.ASSIGNED: Wording(_assigned),
        T.NOTE_ADDED: Wording(_note),
        T.HELD: Wording(_held),
        T.HOLD_RELEASED: Wording(fixed(_l("Hold released."))),
        T.CANCELLED: Wording(_cancelled_staff, fixed(_l("Your order was cancelled."))),
    }
)

"""The timeline as people read it: each fact rendered for staff or for the customer.

Facts are stored as data; the words come from the wording each subject
registers beside its facts (``orders.<subject>.facts``), rendered here when
the timeline is shown, in the language active for that person. Rows a fact
refers to (a note, a message, a problem report, a payment…) are looked up
through the order's relations, one query per relation at most.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

# Each subject registers the wording of its facts as it loads: all of them here.
from orders.core import facts as _core_facts  # noqa: F401
from orders.core.models import Order
from orders.customer import facts as _customer_facts  # noqa: F401
from orders.delays import facts as _delay_facts  # noqa: F401
from orders.events.models import OrderEvent
from orders.events.words import WORDING, Related
from orders.fulfilment import facts as _fulfilment_facts  # noqa: F401
from orders.money import facts as _money_facts  # noqa: F401
from orders.notifications import facts as _notification_facts  # noqa: F401
from orders.stock import facts as _stock_facts  # noqa: F401
from orders.verification import facts as _verification_facts  # noqa: F401
from ordersite.actors import ActorKind
from returns import facts as _return_facts  # noqa: F401

__all__ = ["CUSTOMER_VISIBLE", "WORDING", "Entry", "render", "timeline"]

# Facts the customer sees on their status page: those with customer wording.
CUSTOMER_VISIBLE = frozenset(t for t, w in WORDING.items() if w.customer is not None)


@dataclass(frozen=True)
class Entry:
    """One line of a timeline as a person reads it."""

    event: OrderEvent
    text: str
    actor: str
    customer_visible: bool

    @property
    def created_at(self):
        return self.event.created_at


def render(event: OrderEvent, *, audience: str, related: Related | None = None) -> str:
    """The words of one fact for ``audience`` (``staff`` or ``customer``)."""
    wording = WORDING[event.type]
    related = related or Related(event.order)
    if audience == "customer":
        if wording.customer is None:
            raise ValueError(f"{event.type} is not shown to customers")
        return wording.customer(event, related)
    return wording.staff(event, related)


def timeline(order: Order, *, audience: str = "staff", events=None) -> list[Entry]:
    """The order's facts, newest first, in the words of ``audience``.

    ``events`` defaults to the order's events (prefetched by the order page's
    selector); the customer's audience sees only customer-visible facts and
    never who acted on the shop's side.
    """
    related = Related(order)
    rows = list(events if events is not None else order.events.all())
    if audience == "customer":
        rows = [e for e in rows if e.type in CUSTOMER_VISIBLE]
    entries = []
    for event in sorted(rows, key=lambda e: (e.created_at, e.pk), reverse=True):
        event.order = order  # rendering needs the order's currency and relations
        if audience == "staff":
            actor = event.actor_label
        else:
            actor = _("you") if event.actor_kind == ActorKind.CUSTOMER else ""
        entries.append(
            Entry(
                event=event,
                text=render(event, audience=audience, related=related),
                actor=actor,
                customer_visible=event.type in CUSTOMER_VISIBLE,
            )
        )
    return entries

"""Writing a fact: the one function that creates ``OrderEvent`` rows and publishes them.

Each subject records its facts through one function per fact
(``orders.<subject>.facts``), built on ``record`` here: the fact is written
with its structured data (ids, amounts as strings of cents, codes, quantities;
never prose, never personal data) and published on the seam
(``ordersite.facts``) under ``orders.<type>``, so subscribers (emails,
refunds, staff alerts, and next webhooks and metrics) react inside the same
transaction.

``actor`` is a staff user, ``None`` for the system, or an ``Actor`` (the
customer, an integration).
"""

from decimal import Decimal

from orders.core.models import Order
from orders.events.models import OrderEvent
from orders.events.words import is_customer_visible
from ordersite import facts
from ordersite.actors import Actor


def money(value) -> str:
    """An amount as a fact stores it: a string of cents."""
    return f"{Decimal(value):.2f}"


def record(
    *,
    order: Order,
    type: str,
    actor=None,
    data: dict | None = None,
    from_status: str = "",
    to_status: str = "",
) -> OrderEvent:
    """Write one fact about ``order`` and publish it; returns the row."""
    who = Actor.of(actor)
    event = OrderEvent.objects.create(
        order=order,
        type=type,
        actor_kind=who.kind,
        actor=who.staff_user,
        integration=who.integration,
        data=data or {},
        customer_visible=is_customer_visible(type),
        from_status=from_status,
        to_status=to_status,
    )
    facts.publish(event.topic, event)
    return event


def moved(*, order: Order, type: str, actor, from_status: str, **data) -> OrderEvent:
    """A fact that is also a lifecycle transition: from ``from_status`` to the order's status."""
    return record(
        order=order,
        type=type,
        actor=actor,
        data=data,
        from_status=from_status,
        to_status=order.status,
    )

"""The publish/subscribe seam: services publish facts, the rest of the system subscribes.

A service records what happened (an order was shipped, stock arrived) and
publishes it under a topic such as ``orders.shipped`` or
``inventory.stock_increased``. Every subscriber of that topic runs at once,
inside the service's transaction, in the order it subscribed: it writes what
must be atomic with the change, typically a row of the outbox
(``ordersite.outbox``), and never calls anything outside the database. So a
failing subscriber rolls the whole change back, and what the outbox delivers
after commit can never undo the change.

Subscribers register in their app's ``AppConfig.ready()`` by importing the
module that holds the ``@subscribe`` functions. Why a registry here rather than
Django signals: one topic per fact type (about fifty) would mean one ``Signal``
object each, or every receiver filtering a shared signal by type; a registry
keyed by topic keeps the wiring explicit, ordered and listable
(``subscribers(topic)``), holds no weak references that silently drop a
receiver, and lets ``inventory`` publish without importing who listens.
"""

from collections import defaultdict
from collections.abc import Callable

Handler = Callable[[object], None]

_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(*topics: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for ``topics``; registering twice is harmless."""

    def register(handler: Handler) -> Handler:
        for topic in topics:
            if handler not in _subscribers[topic]:
                _subscribers[topic].append(handler)
        return handler

    return register


def publish(topic: str, fact: object) -> None:
    """Run every subscriber of ``topic`` with ``fact``, now, in the caller's transaction.

    A subscriber's exception propagates: the caller's transaction rolls back,
    the change with it.
    """
    for handler in list(_subscribers.get(topic, ())):
        handler(fact)


def subscribers(topic: str) -> list[Handler]:
    """The functions subscribed to ``topic``, in the order they run."""
    return list(_subscribers.get(topic, ()))


def topics() -> list[str]:
    """Every topic something subscribes to."""
    return sorted(topic for topic, handlers in _subscribers.items() if handlers)

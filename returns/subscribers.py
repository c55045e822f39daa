"""Which return facts email the customer (registered in ``ReturnsConfig.ready``).

Each runs inside the transaction of the fact and writes the email through the
orders' notifications outbox, which sends it after commit. The refund itself
has its own email when the money goes back (``refunded``); inspection tells
the amount first.
"""

from orders.events.models import EventType as T
from orders.events.models import OrderEvent, topic
from orders.notifications.emails import Kind, email_customer
from ordersite.facts import subscribe
from returns.models import Return, ReturnPolicy

EMAILS = {
    T.RETURN_REQUESTED: Kind.RETURN_REQUESTED,
    T.RETURN_APPROVED: Kind.RETURN_APPROVED,
    T.RETURN_REJECTED: Kind.RETURN_REJECTED,
    T.RETURN_RECEIVED: Kind.RETURN_RECEIVED,
    T.RETURN_INSPECTED: Kind.RETURN_INSPECTED,
    T.RETURN_EXCHANGED: Kind.RETURN_EXCHANGED,
}


@subscribe(*(topic(t) for t in EMAILS))
def email_the_return_step(event: OrderEvent) -> None:
    rma = Return.objects.prefetch_related("lines__order_line").get(
        pk=event.data["return_id"]
    )
    if event.type == T.RETURN_REQUESTED and not rma.review_reasons:
        return  # approved at once: the approval email says everything
    email_customer(
        order=event.order,
        kind=EMAILS[event.type],
        extra={"rma": rma, "policy": ReturnPolicy.current(), "fact": event.data},
    )


@subscribe(topic(T.REFUNDED))
def spend_exchange_credit(event: OrderEvent) -> None:
    # An exchange's credit, now on the customer's account: it pays the replacement.
    from orders.money.models import Refund
    from returns.services import exchange_credit_spend

    exchange_credit_spend(refund=Refund.objects.get(pk=event.data["refund_id"]))

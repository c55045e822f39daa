"""Which facts write which customer emails and staff alerts (registered in ``OrdersConfig.ready``).

Each subscriber runs inside the transaction of the fact it reacts to and only
writes rows (a ``Notification`` and its outbox row); the outbox sends after
commit. First check, send back, start of picking, packing, hold and release
email nobody: they are the shop's own steps.
"""

from orders.core.models import OrderStatus
from orders.customer.models import CustomerMessage
from orders.delays.models import Delay
from orders.delays.selectors import choices_for
from orders.events.models import EventType as T
from orders.events.models import OrderEvent, topic
from orders.fulfilment.models import Shipment
from orders.money.models import Refund
from orders.notifications.emails import (
    Alert,
    Kind,
    alert_staff,
    email_again,
    email_customer,
)
from orders.notifications.models import Notification
from ordersite.facts import subscribe

# A fact whose email needs nothing but the order.
PLAIN = {
    T.PLACED: Kind.RECEIVED,
    T.READ_BACK_SENT: Kind.READ_BACK,
    T.VERIFIED: Kind.VERIFIED,
    T.BACKORDERED: Kind.BACKORDERED,
    T.SPLIT_OFF: Kind.SPLIT,
    T.PAID: Kind.PAID,
    T.SHIPPED: Kind.SHIPPED,
    T.DELIVERED: Kind.DELIVERED,
    T.COMPLETED: Kind.COMPLETED,
    T.CANCELLED: Kind.CANCELLED,
}


@subscribe(*(topic(t) for t in PLAIN))
def email_the_step(event: OrderEvent) -> None:
    email_customer(order=event.order, kind=PLAIN[event.type])


@subscribe(topic(T.ALLOCATED))
def email_moving_again(event: OrderEvent) -> None:
    # Reserving stock is news only when the order was waiting for it.
    if event.from_status == OrderStatus.BACKORDERED:
        email_customer(order=event.order, kind=Kind.MOVING_AGAIN)


@subscribe(topic(T.PARCEL_SHIPPED))
def email_partial_parcel(event: OrderEvent) -> None:
    # The last parcel ships the order, which has its own email.
    if not event.data["complete"]:
        parcel = Shipment.objects.get(pk=event.data["shipment_id"])
        email_customer(
            order=event.order, kind=Kind.PARTLY_SHIPPED, extra={"parcel": parcel}
        )


@subscribe(topic(T.REFUNDED))
def email_refund(event: OrderEvent) -> None:
    refund = Refund.objects.get(pk=event.data["refund_id"])
    email_customer(
        order=event.order,
        kind=Kind.REFUNDED,
        extra={
            "amount": refund.amount,
            "outcome": refund.get_outcome_display().lower(),
        },
    )


@subscribe(topic(T.BALANCE_REQUESTED))
def email_balance_due(event: OrderEvent) -> None:
    email_customer(
        order=event.order, kind=Kind.BALANCE_DUE, extra={"amount": event.data["amount"]}
    )


@subscribe(topic(T.STAFF_REPLIED), topic(T.PROBLEM_RESOLVED))
def email_reply(event: OrderEvent) -> None:
    reply = CustomerMessage.objects.get(pk=event.data["message_id"])
    email_customer(order=event.order, kind=Kind.MESSAGE, extra={"message": reply.body})


@subscribe(topic(T.EMAIL_RESENT))
def send_again(event: OrderEvent) -> None:
    original = Notification.objects.get(pk=event.data["resent_from"])
    email_again(order=event.order, original=original)


@subscribe(topic(T.DELAY_EXPLAINED))
def email_delay_notice(event: OrderEvent) -> None:
    delay = Delay.objects.select_related("cause").get(pk=event.data["delay_id"])
    email_customer(
        order=event.order,
        kind=Kind.DELAYED,
        extra={"delay": delay, "choices": choices_for(delay, event.order)},
    )


@subscribe(topic(T.DELAY_ESCALATED))
def email_still_delayed(event: OrderEvent) -> None:
    email_customer(order=event.order, kind=Kind.STILL_DELAYED)
    alert_staff(
        order=event.order,
        alert=Alert.DELAY_ESCALATED,
        ref_id=event.data["delay_id"],
    )


@subscribe(topic(T.DELAY_UPDATE_SENT))
def email_delay_update(event: OrderEvent) -> None:
    delay = Delay.objects.select_related("cause").get(pk=event.data["delay_id"])
    email_customer(order=event.order, kind=Kind.DELAY_UPDATE, extra={"delay": delay})


@subscribe(topic(T.DELAY_UPDATE_DUE))
def alert_update_due(event: OrderEvent) -> None:
    alert_staff(
        order=event.order,
        alert=Alert.DELAY_UPDATE_DUE,
        ref_id=event.data["delay_id"],
    )


@subscribe(topic(T.PROMISE_CHANGED))
def email_new_date(event: OrderEvent) -> None:
    # A backorder's new date is in the backorder email itself.
    if event.data.get("because") == "staff":
        email_customer(order=event.order, kind=Kind.NEW_DATE)


ALERTS = {
    T.CUSTOMER_MESSAGE: (Alert.CUSTOMER_MESSAGE, "message_id"),
    T.PROBLEM_REPORTED: (Alert.PROBLEM_REPORTED, "issue_id"),
    T.READ_BACK_DISPUTED: (Alert.READ_BACK_DISPUTED, "message_id"),
}


@subscribe(*(topic(t) for t in ALERTS))
def alert_staff_of_the_customer(event: OrderEvent) -> None:
    alert, ref = ALERTS[event.type]
    alert_staff(order=event.order, alert=alert, ref_id=event.data[ref])

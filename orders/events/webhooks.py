"""Order facts as webhooks for the endpoints that subscribed (see
``ordersite.webhooks``): placed, status changed, shipped, refunded, delayed, returns."""

from orders.events.models import EventType as T
from orders.events.models import OrderEvent, topic
from ordersite.facts import subscribe
from ordersite.webhooks.models import WebhookEvent
from ordersite.webhooks.sending import webhook_publish


def events_of(event: OrderEvent) -> list[str]:
    """The webhook events one fact makes."""
    found = []
    if event.type == T.PLACED:
        found.append(WebhookEvent.ORDER_PLACED)
    elif event.from_status:
        found.append(WebhookEvent.ORDER_STATUS_CHANGED)
    if event.type == T.PARCEL_SHIPPED:
        found.append(WebhookEvent.ORDER_SHIPPED)
    if event.type == T.REFUNDED:
        found.append(WebhookEvent.REFUND_ISSUED)
    if event.type in (T.DELAY_EXPLAINED, T.DELAY_ESCALATED, T.PROMISE_CHANGED):
        found.append(WebhookEvent.ORDER_DELAYED)
    if event.type.startswith("return_"):
        found.append(WebhookEvent.RETURN_UPDATED)
    return found


@subscribe(*(topic(t) for t in T.values))
def publish_as_webhooks(event: OrderEvent) -> None:
    wanted = events_of(event)
    if not wanted:
        return
    order = event.order
    data = {
        "order": order.number,
        "reference": order.external_id,
        "status": order.status,
        "fact": event.type,
        "fact_id": event.pk,
        "at": event.created_at.isoformat(),
        "details": event.data,
    }
    if event.from_status:
        data["from_status"] = event.from_status
    for name in wanted:
        # One ordering key per order: its events reach each endpoint in order.
        webhook_publish(event=name, data=data, ordering_key=order.number)

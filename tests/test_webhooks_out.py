"""Webhooks out, received by a real local HTTP server: signed per the Standard
Webhooks specification (checked with the `standardwebhooks` package), in order
per order, at least once with the same webhook-id on retries."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from orders.models import OrderStatus
from ordersite.models import OutboxMessage
from ordersite.webhooks.models import WebhookAttempt, WebhookEndpoint
from ordersite.webhooks.sending import DISABLE_AFTER, sign


class Receiver:
    """A local HTTP server that records deliveries and answers as told."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[int] = []  # status codes to answer next, then 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append({"headers": headers, "body": body})
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"not now")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(r["body"]) for r in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def endpoint(receiver, db):
    return WebhookEndpoint.objects.create(
        name="ERP",
        url=receiver.url,
        events=[
            "order.placed",
            "order.status_changed",
            "order.shipped",
            "refund.issued",
        ],
        owner_email="it@example.com",
    )


def test_our_signature_is_the_standard_one():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"type":"order.placed"}'
    ours = sign(secret, "msg_1", 1_700_000_000, body)
    at = datetime.fromtimestamp(1_700_000_000, tz=UTC)
    expected = Webhook(secret).sign("msg_1", at, body)
    assert ours == expected


@pytest.mark.django_db
def test_an_orders_events_arrive_signed_and_in_order(
    receiver, endpoint, order_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in(OrderStatus.SHIPPED)
    events = receiver.events()
    assert events[0]["type"] == "order.placed"
    assert {e["data"]["order"] for e in events} == {order.number}
    changes = [
        e["data"]["status"] for e in events if e["type"] == "order.status_changed"
    ]
    assert changes[-1] == "shipped"
    facts = [e["data"]["fact_id"] for e in events]
    assert facts == sorted(facts)  # in the order they happened
    assert any(e["type"] == "order.shipped" for e in events)
    verifier = Webhook(endpoint.secret)
    for r in receiver.received:
        verifier.verify(r["body"], r["headers"])  # raises if the signature is wrong
    assert WebhookAttempt.objects.filter(status_code=200).count() == len(
        receiver.received
    )


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_with_the_same_id(
    receiver, endpoint, place, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        place()
    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 1  # twice refused, then taken
    assert [a.status_code for a in WebhookAttempt.objects.order_by("pk")] == [
        500,
        503,
        200,
    ]
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.status == "sent"


@pytest.mark.django_db
def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_told(
    receiver, endpoint, place, django_capture_on_commit_callbacks, mailoutbox
):
    receiver.answers = [500] * 1000
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(DISABLE_AFTER):
            place()
    endpoint.refresh_from_db()
    assert not endpoint.active and "in a row failed" in endpoint.disabled_reason
    assert any("disabled" in m.subject for m in mailoutbox)
    sent = len(receiver.received)
    with django_capture_on_commit_callbacks(execute=True):
        place()  # nothing more goes to a disabled endpoint
    assert len(receiver.received) == sent


@pytest.mark.django_db
def test_only_subscribed_events_and_nothing_without_endpoints(
    receiver, place, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        place()
    assert (
        receiver.received == []
        and not OutboxMessage.objects.filter(kind="webhook").exists()
    )
    WebhookEndpoint.objects.create(
        name="Only placed", url=receiver.url, events=["order.placed"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        place()
    assert [e["type"] for e in receiver.events()] == ["order.placed"]


@pytest.mark.django_db
def test_a_later_event_waits_while_an_earlier_one_of_the_order_is_on_its_way(
    receiver, endpoint
):
    from datetime import timedelta

    from django.utils import timezone

    from ordersite import outbox
    from ordersite.webhooks.sending import webhook_publish

    webhook_publish(event="order.placed", data={"n": 1}, ordering_key="ORD-1")
    webhook_publish(event="order.status_changed", data={"n": 2}, ordering_key="ORD-1")
    webhook_publish(event="order.placed", data={"n": 3}, ordering_key="ORD-2")
    first, second, other = OutboxMessage.objects.filter(kind="webhook").order_by("pk")
    # the first is waiting for a retry later: the second must not overtake it
    OutboxMessage.objects.filter(pk=first.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    message, retry_in = outbox.deliver(second.pk, backoff=False)
    assert message.status == "pending" and "earlier event" in message.last_error
    assert receiver.received == []
    outbox.deliver(other.pk)  # another order is not held up
    assert [e["data"]["n"] for e in receiver.events()] == [3]
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    outbox.deliver(first.pk)
    outbox.deliver(second.pk)
    assert [e["data"]["n"] for e in receiver.events()] == [3, 1, 2]

"""The publish/subscribe seam: subscribers run inside the change's transaction, delivery after it."""

import smtplib

import pytest

from inventory.facts import STOCK_INCREASED
from orders.events.models import EventType, topic
from orders.models import Notification, Order, OrderEvent
from ordersite import facts
from ordersite.models import OutboxMessage


@pytest.fixture
def temporary_topic():
    """Subscribers added for one test and removed after it."""
    added = []

    def add(name, handler):
        facts.subscribe(name)(handler)
        added.append((name, handler))

    yield add
    for name, handler in added:
        facts._subscribers[name].remove(handler)


def test_subscribers_run_in_order_once_each(temporary_topic):
    seen = []
    first, second = (
        (lambda fact: seen.append(("first", fact))),
        (lambda fact: seen.append(("second", fact))),
    )
    temporary_topic("test.happened", first)
    temporary_topic("test.happened", second)
    facts.subscribe("test.happened")(first)  # registering again changes nothing
    facts.publish("test.happened", 42)
    facts.publish("test.nobody_listens", 1)
    assert seen == [("first", 42), ("second", 42)]
    assert facts.subscribers("test.happened") == [first, second]


def test_the_apps_subscribe_in_ready():
    # orders listens to inventory without inventory knowing who listens
    assert [h.__module__ for h in facts.subscribers(STOCK_INCREASED)] == [
        "orders.stock.subscribers"
    ]
    assert facts.subscribers(topic(EventType.PLACED))
    # every order topic with subscribers is a fact type
    order_topics = [t for t in facts.topics() if t.startswith("orders.")]
    assert {t.removeprefix("orders.") for t in order_topics} <= set(EventType.values)


@pytest.mark.django_db
def test_a_failure_inside_the_transaction_rolls_back_the_change_and_its_side_effects(
    place, temporary_topic
):
    def broken(event):
        raise RuntimeError("a subscriber failed")

    temporary_topic(topic(EventType.PLACED), broken)
    with pytest.raises(RuntimeError, match="a subscriber failed"):
        place()
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.filter(kind="customer_email").exists()


@pytest.mark.django_db
def test_a_failing_delivery_after_commit_never_undoes_the_change(
    place, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", refuse
    )
    # the customer's email fails after the order is committed…
    with django_capture_on_commit_callbacks(execute=True):
        order = place()
    # …and the order stays placed, its email failed and visible, nothing raised
    assert Order.objects.get(pk=order.pk).status == "placed"
    notification = Notification.objects.select_related("delivery").get(order=order)
    assert notification.status == "failed"
    assert "went away" in notification.last_error
    assert order.events.filter(type="placed").exists()

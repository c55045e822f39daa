"""Customer emails through the outbox: sent once, after commit; failures retried then visible."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Notification, OrderStatus
from orders.notifications.emails import Kind
from ordersite import outbox
from ordersite.models import OutboxMessage

S = OrderStatus


@pytest.fixture
def queued(order_in, django_capture_on_commit_callbacks):
    """A placed order whose 'received' email is written but not yet sent."""
    with django_capture_on_commit_callbacks(execute=False):
        order = order_in(S.PLACED)
    mail.outbox.clear()
    return Notification.objects.get(order=order, kind=Kind.RECEIVED)


@pytest.mark.django_db
def test_every_customer_facing_step_writes_one_email(
    order_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in(S.COMPLETED)
    kinds = list(order.notifications.order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        Kind.RECEIVED,
        Kind.VERIFIED,
        Kind.PAID,
        Kind.SHIPPED,
        Kind.DELIVERED,
        Kind.COMPLETED,
    ]
    assert {n.status for n in order.notifications.all()} == {"sent"}
    assert sorted(m.subject for m in mail.outbox) == sorted(
        order.notifications.values_list("subject", flat=True)
    )
    assert all(order.number in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_two_deliveries_of_one_task_send_once(queued):
    outbox.deliver(queued.delivery_id)
    outbox.deliver(queued.delivery_id)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["X-Ordersite-Notification"] == str(queued.pk)


@pytest.mark.django_db
def test_smtp_failures_back_off_then_end_failed_and_visible(queued, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", refuse
    )
    outbox.deliver_task.delay(message_id=queued.delivery_id)
    queued = Notification.objects.select_related("delivery").get(pk=queued.pk)
    assert queued.status == Notification.Status.FAILED
    assert queued.attempts == 7  # the first try and six retries
    assert "unexpectedly closed" in queued.last_error
    assert mail.outbox == []
    # staff send it again once the mail server is back
    monkeypatch.undo()
    assert outbox.send_again(queued.delivery)
    queued = Notification.objects.select_related("delivery").get(pk=queued.pk)
    # (the on-commit send runs when the surrounding test transaction would commit)
    assert queued.status == Notification.Status.PENDING


@pytest.mark.django_db
def test_an_abandoned_send_is_picked_up_again(queued):
    # a worker claimed it and died before sending: the lease runs out
    OutboxMessage.objects.filter(pk=queued.delivery_id).update(
        status=OutboxMessage.Status.SENDING,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    assert outbox.sweep() == 1
    queued = Notification.objects.select_related("delivery").get(pk=queued.pk)
    assert queued.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_lost_message_is_swept_up(queued):
    assert outbox.sweep() == 0  # just written: its own dispatch is on its way
    OutboxMessage.objects.filter(pk=queued.delivery_id).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    assert outbox.sweep() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_opted_out_customers_get_only_transactional_mail(
    order_in, django_capture_on_commit_callbacks
):
    from tests.factories.orders import CustomerFactory

    opted_out = CustomerFactory(notifications_opt_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in(S.COMPLETED, customer=opted_out)
    statuses = {n.kind: n.status for n in order.notifications.all()}
    assert statuses[Kind.COMPLETED] == "skipped"
    assert statuses[Kind.SHIPPED] == "sent"


@pytest.mark.django_db
def test_the_timeline_shows_each_email(order_in):
    order = order_in(S.PLACED)
    event = order.events.get(type="email_queued")
    assert event.data == {
        "notification_id": order.notifications.get().pk,
        "kind": Kind.RECEIVED,
        "skipped": False,
    }
    assert not event.customer_visible
    # the address it went to stays on the notification, never in the audit trail
    assert order.customer.email not in str(event.data)


@pytest.mark.django_db
def test_a_resent_email_carries_the_same_message_id(queued):
    """Delivery is at least once; a second copy is recognisable as the same message."""
    outbox.deliver(queued.delivery_id)
    # a worker died after the mail server took it and before it was marked sent
    OutboxMessage.objects.filter(pk=queued.delivery_id).update(
        status=OutboxMessage.Status.SENDING,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    outbox.deliver(queued.delivery_id)
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"].startswith(f"<notification-{queued.pk}@")
    assert first.message()["Message-ID"] == first.extra_headers["Message-ID"]

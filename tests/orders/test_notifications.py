"""The notification outbox: sent once, after commit; failures retried then visible."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Notification, OrderStatus
from orders.notifications import emails as notifications
from orders.notifications.emails import Kind

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
    assert set(order.notifications.values_list("status", flat=True)) == {"sent"}
    assert sorted(m.subject for m in mail.outbox) == sorted(
        order.notifications.values_list("subject", flat=True)
    )
    assert all(order.number in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_two_deliveries_of_one_task_send_once(queued):
    notifications.notification_send(notification_id=queued.pk)
    notifications.notification_send(notification_id=queued.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_smtp_failures_back_off_then_end_failed_and_visible(queued, monkeypatch):
    from orders.tasks import send_notification

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", refuse
    )
    send_notification.delay(notification_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == Notification.Status.FAILED
    assert queued.attempts == 7  # the first try and six retries
    assert "unexpectedly closed" in queued.last_error
    assert mail.outbox == []
    # staff resend it once the mail server is back
    monkeypatch.undo()
    from django.db import transaction

    with transaction.atomic():
        notifications.notification_resend(notification=queued)
    queued.refresh_from_db()
    # (the on-commit send runs when the surrounding test transaction would commit)
    assert queued.status == Notification.Status.PENDING


@pytest.mark.django_db
def test_an_abandoned_send_is_picked_up_again(queued):
    # a worker claimed it and died before sending: the lease runs out
    Notification.objects.filter(pk=queued.pk).update(
        status=Notification.Status.SENDING,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    assert notifications.notifications_sweep() == 1
    queued.refresh_from_db()
    assert queued.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_lost_message_is_swept_up(queued):
    Notification.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert notifications.notifications_sweep() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_opted_out_customers_get_only_transactional_mail(
    order_in, django_capture_on_commit_callbacks
):
    from tests.factories.orders import CustomerFactory

    opted_out = CustomerFactory(notifications_opt_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in(S.COMPLETED, customer=opted_out)
    statuses = dict(order.notifications.values_list("kind", "status"))
    assert statuses[Kind.COMPLETED] == "skipped"
    assert statuses[Kind.SHIPPED] == "sent"


@pytest.mark.django_db
def test_the_timeline_shows_each_email(order_in):
    order = order_in(S.PLACED)
    event = order.events.get(type="notification_queued")
    assert event.data["notification_id"] == order.notifications.get().pk
    assert not event.customer_visible

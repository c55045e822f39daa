"""The one outbox: claim, lease, retry with backoff, give up, sweep; never an error after commit."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from ordersite import outbox
from ordersite.models import OutboxMessage

Status = OutboxMessage.Status


class Flaky(Exception):
    """A temporary failure of the fake sender."""


@pytest.fixture
def kind(settings):
    """A kind of message whose sender fails as told, and that records what it sent."""
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 2

    class Sender:
        sent: list[int] = []
        failures: list[Exception] = []
        gave_up: list[tuple[int, str]] = []

        def send(self, message):
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message.pk)

        def given_up(self, message, error):
            self.gave_up.append((message.pk, error))

    sender = Sender()
    sender.sent, sender.failures, sender.gave_up = [], [], []
    outbox.register(
        "test_kind",
        send=sender.send,
        transient=(Flaky,),
        gave_up=sender.given_up,
        max_attempts=3,
    )
    return sender


def _due_again(message):
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_an_unknown_kind_is_refused():
    with pytest.raises(LookupError):
        outbox.enqueue("no_such_kind", x=1)


@pytest.mark.django_db
def test_a_message_is_delivered_after_commit_and_only_once(
    kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = outbox.enqueue("test_kind", order_id=7)
    assert kind.sent == [] and message.status == Status.PENDING
    assert message.payload == {"order_id": 7}
    for callback in callbacks:
        callback()
    outbox.deliver(message.pk)  # a second delivery of the same message
    message.refresh_from_db()
    assert kind.sent == [message.pk]
    assert (message.status, message.attempts) == (Status.SENT, 1)


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_message(
    kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.enqueue("test_kind")
            raise RuntimeError("the change failed")
    assert callbacks == [] and not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_temporary_failure_backs_off_then_succeeds(
    kind, django_capture_on_commit_callbacks
):
    kind.failures = [Flaky("mail server busy")]
    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.enqueue("test_kind")
    before = timezone.now()
    message, retry_in = outbox.deliver(message.pk)
    assert message.status == Status.PENDING and "busy" in message.last_error
    # exponential backoff with jitter: base × 2^attempts, plus up to one base
    assert 4 <= retry_in <= 6
    assert message.next_attempt_at >= before + timedelta(seconds=4)
    # not due yet: a redelivery now does nothing
    assert outbox.deliver(message.pk) == (message, None)
    _due_again(message)
    message, retry_in = outbox.deliver(message.pk)
    assert (message.status, message.attempts, retry_in) == (Status.SENT, 2, None)
    assert message.last_error == ""


@pytest.mark.django_db
def test_after_the_last_attempt_it_is_failed_and_its_kind_is_told(
    kind, django_capture_on_commit_callbacks
):
    kind.failures = [Flaky("down")] * 3
    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.enqueue("test_kind")
    for _attempt in range(3):
        _due_again(message)
        message, _retry = outbox.deliver(message.pk)
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert kind.gave_up == [(message.pk, "down")]
    # staff send it again: a fresh start
    assert outbox.send_again(message)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    assert not outbox.send_again(message)  # only a failed message


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once(kind, django_capture_on_commit_callbacks):
    kind.failures = [outbox.GiveUp("address rejected")]
    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.enqueue("test_kind")
    message, retry_in = outbox.deliver(message.pk)
    assert (message.status, message.attempts, retry_in) == (Status.FAILED, 1, None)
    assert kind.gave_up == [(message.pk, "address rejected")]


@pytest.mark.django_db
def test_an_unexpected_error_is_retried_and_named(
    kind, django_capture_on_commit_callbacks
):
    kind.failures = [KeyError("notification_id")]
    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.enqueue("test_kind")
    message, retry_in = outbox.deliver(message.pk)
    assert message.status == Status.PENDING and retry_in is not None
    assert message.last_error.startswith("KeyError")


@pytest.mark.django_db
def test_without_a_broker_the_task_retries_in_process(
    kind, django_capture_on_commit_callbacks
):
    kind.failures = [Flaky("one"), Flaky("two")]
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue("test_kind")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 3)


@pytest.mark.django_db
def test_a_broker_that_is_down_at_commit_is_no_error_for_anyone(
    kind, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(outbox.deliver_task, "apply_async", broker_down)
    # the commit's callback runs and the caller sees no exception
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue("test_kind")
    message.refresh_from_db()
    assert message.status == Status.PENDING and kind.sent == []
    # once the broker is back, the sweeper finds it
    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert outbox.sweep() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and kind.sent == [message.pk]


@pytest.mark.django_db
def test_the_sweeper_takes_lost_and_abandoned_messages_only(
    kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        fresh, lost, abandoned, held, waiting = (
            outbox.enqueue("test_kind") for _ in range(5)
        )
    now = timezone.now()
    OutboxMessage.objects.filter(pk=lost.pk).update(
        next_attempt_at=now - timedelta(minutes=5)
    )
    OutboxMessage.objects.filter(pk=abandoned.pk).update(
        status=Status.SENDING, lease_until=now - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk=held.pk).update(
        status=Status.SENDING, lease_until=now + timedelta(minutes=5)
    )
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        next_attempt_at=now + timedelta(minutes=5)
    )
    assert outbox.sweep() == 2
    assert sorted(kind.sent) == sorted([lost.pk, abandoned.pk])
    assert outbox.sweep(limit=1) == 0


def test_backoff_stays_below_the_brokers_visibility_timeout(settings):
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 2
    delays = [outbox.backoff_seconds(n) for n in range(1, 30)]
    assert (
        max(delays)
        <= 602
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )
    assert min(delays) >= 4


@pytest.mark.django_db
def test_every_registered_kind_has_a_sender():
    # the apps register their kinds when Django starts
    assert {
        "customer_email",
        "staff_alert",
        "refund",
        "payment_void",
        "backorder_fill",
    } <= set(outbox.kinds())


@pytest.mark.django_db
def test_a_manager_sends_a_failed_message_again_from_the_admin(
    client, staff, kind, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from orders.permissions import Role

    with django_capture_on_commit_callbacks(execute=False):
        message = outbox.enqueue("test_kind")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.FAILED, last_error="SMTP down", attempts=7
    )
    url = reverse("admin:ordersite_outboxmessage_changelist")
    # every role may look (ids and errors only), only a manager may send again
    client.force_login(staff[Role.CLERK])
    assert 'value="send_again"' not in client.get(url).content.decode()
    client.force_login(staff[Role.MANAGER])
    page = client.get(url).content.decode()
    assert "SMTP down" in page and 'value="send_again"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send_again", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == Status.SENT and kind.sent == [message.pk]


@pytest.mark.django_db
def test_after_a_broker_failure_dispatching_pauses_until_the_next_sweep(
    kind, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broker_down(*args, **kwargs):
        calls.append(kwargs)
        raise ConnectionError("Connection refused")

    monkeypatch.setattr(outbox.deliver_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        for _n in range(5):
            outbox.enqueue("test_kind")
    # one try against the broker, then the others wait without trying (no hang)
    assert len(calls) == 1 and calls[0]["retry"] is False
    monkeypatch.undo()
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert outbox.sweep() == 5
    assert len(kind.sent) == 5

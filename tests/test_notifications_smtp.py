"""Notifications through a real Celery worker on Redis to a real SMTP server (aiosmtpd)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from orders.models import Notification
from ordersite.celery import app as celery_app


class Inbox:
    """An SMTP handler that keeps what it receives, or refuses while ``refuse`` is set."""

    def __init__(self):
        self.messages, self.refuse = [], False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return "451 Temporary local problem, try again"
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 0.05
    yield inbox
    controller.stop()


@pytest.fixture
def worker(settings):
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.update(task_always_eager=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ):
            yield
    finally:
        celery_app.conf.update(task_always_eager=True)


def wait_for(check, seconds=20):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_committed_change_sends_exactly_one_email(order_in, smtp, worker):
    order = order_in("placed")
    assert wait_for(
        lambda: Notification.objects.filter(
            order=order, delivery__status="sent"
        ).exists()
    )
    time.sleep(0.5)  # and nothing more arrives
    assert len(smtp.messages) == 1
    assert order.number in smtp.messages[0]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(place, smtp, worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        place()
        raise RuntimeError("the request failed")
    time.sleep(1.5)
    assert smtp.messages == []
    assert not Notification.objects.exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_smtp_failures_back_off_and_end_failed(order_in, smtp, worker):
    smtp.refuse = True
    order = order_in("placed")
    assert wait_for(
        lambda: Notification.objects.filter(
            order=order, delivery__status="failed"
        ).exists(),
        60,
    )
    notification = Notification.objects.get(order=order)
    assert notification.attempts == 7 and "451" in notification.last_error
    assert smtp.messages == []


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_redelivered_task_after_a_dead_worker_sends_once(order_in, smtp, worker):
    from datetime import timedelta

    from django.utils import timezone

    from ordersite import outbox
    from ordersite.models import OutboxMessage

    order = order_in("placed")
    assert wait_for(lambda: len(smtp.messages) == 1)
    sent = Notification.objects.get(order=order)
    # The broker redelivers the same task (acks_late): nothing more is sent.
    outbox.deliver_task.delay(message_id=sent.delivery_id)
    time.sleep(1)
    assert len(smtp.messages) == 1
    # A worker that died after claiming (lease expired) is covered by the sweeper.
    OutboxMessage.objects.filter(pk=sent.delivery_id).update(
        status="sending",
        lease_until=timezone.now() - timedelta(seconds=1),
        sent_at=None,
    )
    outbox.sweep()
    assert wait_for(
        lambda: OutboxMessage.objects.filter(
            pk=sent.delivery_id, status="sent"
        ).exists()
    )


class HangingInbox(Inbox):
    """Holds the first message's DATA (so its sender can be killed mid-send), then refuses it."""

    def __init__(self):
        super().__init__()
        self.hung = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if not self.hung.is_set():
            self.hung.set()
            await asyncio.sleep(8)
            return "451 The sender went away"
        return await super().handle_DATA(server, session, envelope)


def start_worker_process(env, name):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ordersite",
            "worker",
            "-P",
            "solo",
            "-n",
            name,
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=settings_module_root(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def settings_module_root():
    from django.conf import settings

    return str(settings.BASE_DIR)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_still_results_in_exactly_one_email(place):
    from django.db import connection

    inbox = HangingInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_ENV": "local",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        # short, so that the test does not wait two hours for the redelivery
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "OUTBOX_LEASE_SECONDS": "3",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    first = start_worker_process(env, "first@%h")
    second = None
    try:
        celery_app.conf.update(task_always_eager=False)
        order = place()  # committed: its "received" email goes to the first worker
        assert inbox.hung.wait(30), "the first worker never started sending"
        first.send_signal(
            signal.SIGKILL
        )  # killed in the middle of the SMTP conversation
        first.wait(10)
        # The broker hands an unacknowledged message out again once its
        # visibility timeout has passed; a worker starting after that restores it.
        time.sleep(4)
        second = start_worker_process(env, "second@%h")
        assert wait_for(
            lambda: Notification.objects.filter(
                order=order, delivery__status="sent"
            ).exists(),
            60,
        )
        time.sleep(2)
        assert len(inbox.messages) == 1
        assert order.number in inbox.messages[0]
    finally:
        celery_app.conf.update(task_always_eager=True)
        for process in (first, second):
            if process and process.poll() is None:
                process.kill()
                process.wait(10)
        controller.stop()
